// Retry-After as the package reads it (src/web/js/wire.js `retryAfterMs`):
// the rule of the core's `retry::retry_after_ms` (tests/retry.rs has the
// same cases), in JavaScript so the wasm carries no calendar code. The
// core clamps the result to 0..60 s (`backoff`); unclamped here.
import assert from "node:assert/strict";
import { test } from "node:test";
import { retryAfterMs } from "../../src/web/js/wire.js";

// From Python's calendar.timegm, as in tests/retry.rs.
const DATES = [
  ["Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777],
  ["Thu, 01 Jan 1970 00:00:00 GMT", 0],
  ["Thu, 29 Feb 2024 23:59:59 GMT", 1_709_251_199],
  ["Wed, 21 Oct 2026 07:28:00 GMT", 1_792_567_680],
  ["Sat, 01 Jan 2000 00:00:00 GMT", 946_684_800],
  ["Fri, 31 Dec 9999 23:59:59 GMT", 253_402_300_799],
];

test("delta-seconds, spaces around them ignored", () => {
  assert.equal(retryAfterMs("0", 0), 0);
  assert.equal(retryAfterMs("1", 0), 1000);
  assert.equal(retryAfterMs(" 12 ", 5e12), 12_000);
  assert.equal(retryAfterMs("\t61", 0), 61_000);
  assert.ok(retryAfterMs("99999999999999999999999999", 0) > 60_000);
  assert.equal(retryAfterMs(undefined, 0), undefined);
});

test("IMF-fixdate: milliseconds from now", () => {
  for (const [date, secs] of DATES) {
    const at = secs * 1000;
    assert.equal(retryAfterMs(date, at - 12_345), 12_345, date);
    assert.equal(retryAfterMs(date, at), 0, date);
    assert.equal(retryAfterMs(date, at + 5000), -5000, date);
  }
  assert.equal(retryAfterMs(" Sun, 06 Nov 1994 08:49:37 GMT\t", 784_111_776_000), 1000);
  // A leap second, 29 Feb of a leap century, a year below 100 (not 19xx).
  assert.equal(retryAfterMs("Sat, 31 Dec 2016 23:59:60 GMT", 1_483_228_800_000), 0);
  assert.equal(retryAfterMs("Tue, 29 Feb 2000 00:00:00 GMT", 951_782_400_000), 0);
  assert.equal(retryAfterMs("Sat, 01 Jan 0050 00:00:00 GMT", 0), Date.UTC(2050, 0, 1) - 2000 * 365.2425 * 86_400_000);
  // A date needs a clock.
  assert.equal(retryAfterMs("Sun, 06 Nov 1994 08:49:37 GMT", NaN), undefined);
});

test("anything else is undefined (the normal backoff applies)", () => {
  const now = 784_111_777_000;
  for (const bad of [
    "", "   ", "-1", "1.5", "+3", "soon", "12s",
    "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
    "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 08:49:37 gmt", "Xyz, 06 Nov 1994 08:49:37 GMT",
    "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 94 08:49:37 GMT",
    "Sun, 31 Nov 1994 08:49:37 GMT", "Sun, 29 Feb 2023 08:49:37 GMT", "Sun, 29 Feb 1900 08:49:37 GMT",
    "Sun, 00 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT",
    "Sun, 06 Nov 1994 08:49:61 GMT", "Sun, 06 Nov 1994 08-49-37 GMT", "Sun, 06 Nov 1994 08:4a:37 GMT",
    "Sun, 06 Nov 1994 08:49:37 GMTX", "Sun,06 Nov 1994 08:49:37 GMT",
  ]) {
    assert.equal(retryAfterMs(bad, now), undefined, JSON.stringify(bad));
  }
});

test("every date round-trips (Date's own toUTCString is IMF-fixdate), seeded", () => {
  let seed = 0x1234567;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let i = 0; i < 5000; i++) {
    const secs = Math.floor(rand() * 4_102_444_800);
    const ahead = Math.floor(rand() * 60);
    const date = new Date(secs * 1000).toUTCString();
    assert.equal(retryAfterMs(date, (secs - ahead) * 1000), ahead * 1000, date);
  }
});
