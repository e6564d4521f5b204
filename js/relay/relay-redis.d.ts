// visual-reasoning/relay/redis: a RelayStore in Redis, shared by relay replicas.
import type { RelayStore } from "./relay.js";

/** A {@link RelayStore} in Redis, with {@link RedisStore.close} to drop its connection. */
export interface RedisStore extends RelayStore {
  /** Closes the connection (the next call would open a new one). */
  close(): void;
}

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /**
   * How long one call may take, connecting included (default 1000 ms).
   * Past it the call fails, and the relay applies its `budgetStoreFail` mode.
   */
  timeoutMs?: number;
}

/**
 * A RelayStore in the Redis at `url` — `redis://[user:password@]host[:port][/db]`,
 * or `rediss://` for TLS — for Node, Deno and Bun (it uses `node:net` /
 * `node:tls`). Keys, values, expiry and the Lua script are the Rust relay's,
 * so JavaScript and Rust replicas can share one Redis (relay/README.md
 * "Shared state in Redis"). Connects on first use; a broken connection is
 * reopened by the next call.
 */
export function redisStore(url: string, options?: RedisStoreOptions): RedisStore;

/** The Lua script the store runs: relay/redis/store.lua, byte for byte. */
export const STORE_SCRIPT: string;
