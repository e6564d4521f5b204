// @ts-check
// Numbers and sizes as the element shows them.

/**
 * Thinking arrives long before usage (openai sends usage at the very end):
 * estimate meanwhile. CJK runs are about one token a character, other text
 * about four characters a token.
 * @param {string} text
 */
export function estimateTokens(text) {
  let cjk = 0;
  for (const ch of text) {
    const c = /** @type {number} */ (ch.codePointAt(0));
    if ((c >= 0x3000 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7af) || (c >= 0xf900 && c <= 0xfaff)) cjk++;
  }
  const rest = text.length - cjk;
  return cjk + rest / 4;
}

/** @param {number} n */
export function fmtBytes(n) {
  if (n < 1024) return n + " B";
  if (n < 1024 * 1024) return (n / 1024).toFixed(n < 10240 ? 1 : 0) + " KB";
  return (n / 1048576).toFixed(1) + " MB";
}

// One formatter: toLocaleString makes one per call, and the thinking
// panel's count is formatted every frame.
/** @type {Intl.NumberFormat | null} */
let intFormat = null;
/** @param {number} n */
export const fmtInt = (n) => (intFormat ??= new Intl.NumberFormat("en-US")).format(Math.round(n));

/** @param {number} ms */
export const fmtSecs = (ms) => (ms / 1000).toFixed(1);
