#!/usr/bin/env node
// Draws the demo's three sample problems in headless Chromium (canvas) and
// writes them to www/public/samples/*.png. Re-run after changing a drawing:
//   node www/scripts/make-samples.mjs
// The PNGs are committed; nothing at build time depends on this script.
import { chromium } from "playwright-core";
import { writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "public", "samples");
mkdirSync(OUT, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const page = await browser.newPage();
await page.setContent("<!doctype html><body></body>");

const drawings = {
  // A triangle with two marked angles; the student finds the third.
  geometry: () => {
    const c = document.createElement("canvas");
    c.width = 480; c.height = 320;
    const g = c.getContext("2d");
    g.fillStyle = "#fff"; g.fillRect(0, 0, c.width, c.height);
    const A = [60, 270], B = [420, 270], C = [290, 60];
    g.strokeStyle = "#111"; g.lineWidth = 3; g.lineJoin = "round";
    g.beginPath(); g.moveTo(...A); g.lineTo(...B); g.lineTo(...C); g.closePath(); g.stroke();
    const arc = (P, Q, R, r) => {
      const a1 = Math.atan2(Q[1] - P[1], Q[0] - P[0]), a2 = Math.atan2(R[1] - P[1], R[0] - P[0]);
      // The interior angle: always the shorter way round from a1 to a2.
      let d = a2 - a1;
      while (d > Math.PI) d -= 2 * Math.PI;
      while (d <= -Math.PI) d += 2 * Math.PI;
      g.beginPath(); g.arc(P[0], P[1], r, a1, a1 + d, d < 0); g.lineWidth = 2; g.stroke();
    };
    arc(A, B, C, 42); arc(B, C, A, 36); arc(C, A, B, 34);
    g.fillStyle = "#111"; g.font = "bold 24px 'DejaVu Sans', sans-serif";
    g.fillText("A", 34, 296); g.fillText("B", 428, 296); g.fillText("C", 284, 48);
    g.font = "22px 'DejaVu Sans', sans-serif";
    g.fillStyle = "#1a4fb5"; g.fillText("50°", 108, 256); g.fillText("65°", 338, 258);
    g.fillStyle = "#b3261e"; g.font = "italic bold 26px 'DejaVu Serif', serif"; g.fillText("x", 282, 118);
    g.fillStyle = "#111"; g.font = "18px 'DejaVu Sans', sans-serif"; g.fillText("Find the angle x.", 20, 30);
    return c.toDataURL("image/png");
  },
  // A small bar chart with exact values readable off the grid.
  chart: () => {
    const c = document.createElement("canvas");
    c.width = 480; c.height = 320;
    const g = c.getContext("2d");
    g.fillStyle = "#fff"; g.fillRect(0, 0, c.width, c.height);
    const data = [["Mon", 4], ["Tue", 7], ["Wed", 3], ["Thu", 8], ["Fri", 6]];
    const x0 = 60, y0 = 270, h = 200, max = 10, bw = 56, gap = 20;
    g.font = "14px 'DejaVu Sans', sans-serif"; g.fillStyle = "#333"; g.strokeStyle = "#ccc"; g.lineWidth = 1;
    for (let v = 0; v <= max; v += 2) {
      const y = y0 - (v / max) * h;
      g.beginPath(); g.moveTo(x0, y); g.lineTo(450, y); g.stroke();
      g.fillText(String(v), x0 - 28, y + 5);
    }
    data.forEach(([label, v], i) => {
      const x = x0 + gap + i * (bw + gap);
      g.fillStyle = "#2f6fde"; g.fillRect(x, y0 - (v / max) * h, bw, (v / max) * h);
      g.fillStyle = "#333"; g.fillText(label, x + 12, y0 + 20);
    });
    g.strokeStyle = "#111"; g.lineWidth = 2;
    g.beginPath(); g.moveTo(x0, 60); g.lineTo(x0, y0); g.lineTo(450, y0); g.stroke();
    g.font = "bold 18px 'DejaVu Sans', sans-serif"; g.fillStyle = "#111";
    g.fillText("Books read by Class 5B", 120, 32);
    g.save(); g.translate(18, 200); g.rotate(-Math.PI / 2); g.font = "14px 'DejaVu Sans', sans-serif"; g.fillText("books", 0, 0); g.restore();
    return c.toDataURL("image/png");
  },
  // An equation in a wobbly hand on lined paper.
  equation: () => {
    const c = document.createElement("canvas");
    c.width = 480; c.height = 240;
    const g = c.getContext("2d");
    g.fillStyle = "#fffef6"; g.fillRect(0, 0, c.width, c.height);
    g.strokeStyle = "#c9d8ef"; g.lineWidth = 1;
    for (let y = 50; y < c.height; y += 44) { g.beginPath(); g.moveTo(0, y); g.lineTo(c.width, y); g.stroke(); }
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5;
    const write = (text, x, y, size) => {
      g.fillStyle = "#1d2f6f";
      for (const ch of text) {
        g.save();
        g.translate(x, y + rnd() * 4);
        g.rotate(rnd() * 0.16);
        g.font = `italic ${size + Math.round(rnd() * 4)}px 'DejaVu Serif', serif`;
        g.fillText(ch, 0, 0);
        const w = g.measureText(ch).width;
        g.restore();
        x += w + 2 + rnd() * 3;
      }
    };
    write("Solve:", 28, 84, 30);
    write("3x² − 12 = 0", 80, 150, 44);
    write("x = ?", 120, 212, 36);
    return c.toDataURL("image/png");
  },
};

for (const [name, fn] of Object.entries(drawings)) {
  const url = await page.evaluate(fn);
  const bytes = Buffer.from(url.split(",")[1], "base64");
  const file = path.join(OUT, name + ".png");
  writeFileSync(file, bytes);
  console.log(`${path.relative(process.cwd(), file)}: ${(bytes.length / 1024).toFixed(1)} KB`);
  if (bytes.length > 30 * 1024) console.warn(`  warning: ${name}.png is over 30 KB`);
}
await browser.close();
