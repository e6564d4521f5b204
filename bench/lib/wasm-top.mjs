// Largest functions of a wasm module that keeps its name section (a
// twiggy-like view without installing twiggy):
//   node bench/lib/wasm-top.mjs FILE.wasm [N]
// Build one with names: wasm-opt -O3 -g on target/wasm-core/visual_reasoning_bg.wasm
// (scripts/build.sh leaves it there before its own wasm-opt).
import { readFileSync } from "node:fs";

const [file, n = "40"] = process.argv.slice(2);
const b = readFileSync(file);
let o = 8;
const leb = () => { let r = 0, s = 0, x; do { x = b[o++]; r += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80); return r; };
let imported = 0;
const sizes = [];
const names = new Map();
while (o < b.length) {
  const id = b[o++];
  const size = leb();
  const end = o + size;
  if (id === 2) {
    for (let i = 0, c = leb(); i < c; i++) {
      const ml = leb(); o += ml; const nl = leb(); o += nl; const kind = b[o++];
      if (kind === 0) { leb(); imported++; } else if (kind === 1) { o++; const f = leb(); leb(); if (f & 1) leb(); }
      else if (kind === 2) { const f = leb(); leb(); if (f & 1) leb(); } else if (kind === 3) { o += 2; }
    }
  } else if (id === 10) {
    for (let i = 0, c = leb(); i < c; i++) { const sz = leb(); sizes.push(sz); o += sz; }
  } else if (id === 0) {
    const nl = leb(); const name = b.subarray(o, o + nl).toString(); o += nl;
    if (name === "name") {
      while (o < end) {
        const sub = b[o++]; const len = leb(); const subEnd = o + len;
        if (sub === 1) for (let i = 0, c = leb(); i < c; i++) { const idx = leb(); const l = leb(); names.set(idx, b.subarray(o, o + l).toString()); o += l; }
        o = subEnd;
      }
    }
  }
  o = end;
}
const total = sizes.reduce((a, x) => a + x, 0);
const rows = sizes.map((sz, i) => [sz, names.get(i + imported) ?? `func[${i + imported}]`]).sort((a, c) => c[0] - a[0]);
console.log(`code: ${total} B in ${sizes.length} functions`);
// Group by crate/module prefix too: where the kilobytes come from.
const group = new Map();
for (const [sz, name] of rows) {
  const clean = name.replace(/^<|\[[0-9a-f]+\]/g, "");
  const key = clean.split("::").slice(0, 2).join("::");
  group.set(key, (group.get(key) ?? 0) + sz);
}
for (const [sz, name] of rows.slice(0, Number(n))) console.log(String(sz).padStart(7), name.slice(0, 150));
console.log("\nby module:");
for (const [k, sz] of [...group].sort((a, c) => c[1] - a[1]).slice(0, 25)) console.log(String(sz).padStart(7), k);
