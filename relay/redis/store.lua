-- The relays' shared state in Redis: one script, byte for byte the same in
-- the Rust relay (include_str!) and the JavaScript one (inlined into
-- pkg/relay-redis.js by scripts/build-relay.mjs). Keys, values and expiry
-- are listed in relay/README.md "Shared state in Redis".
--
-- KEYS[1] is the key; ARGV[1] the operation:
--   add  delta ttl          INCRBY key delta, then EXPIRE key ttl (seconds);
--                           returns the new value (budgets, stream counts)
--   take count cap rate     a token bucket in a hash {tokens, at}: at most
--                           cap tokens, refilled at rate a second, full when
--                           new; takes count if there are that many and
--                           returns 0, else takes none and returns the
--                           milliseconds until there will be (count < 0
--                           gives tokens back, never above cap). The clock
--                           is Redis's own, so replicas' clocks don't matter.
local key = KEYS[1]
local op = ARGV[1]
if op == 'add' then
  local v = redis.call('INCRBY', key, ARGV[2])
  redis.call('EXPIRE', key, ARGV[3])
  return v
elseif op == 'take' then
  local count = tonumber(ARGV[2])
  local cap = tonumber(ARGV[3])
  local rate = tonumber(ARGV[4])
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local s = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(s[1]) or cap
  local at = tonumber(s[2]) or now
  tokens = math.min(cap, tokens + math.max(0, now - at) / 1000 * rate)
  local wait = 0
  if tokens < count then
    wait = math.ceil((count - tokens) / rate * 1000)
  else
    tokens = math.min(cap, tokens - count)
  end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('EXPIRE', key, math.ceil(cap / rate) + 1)
  return wait
end
return redis.error_reply('ERR vr store: unknown operation ' .. tostring(op))
