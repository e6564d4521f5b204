// The demo is a plain page on top of the built package: the element entry
// comes from ../pkg (built by scripts/build.sh), bundled again by Vite with
// the wasm, the KaTeX chunk and its fonts. No CDN: dist/ works offline.
import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, process.env.VR_PKG_DIR ?? "../pkg");

export default defineConfig({
  root: here,
  base: "./",
  resolve: {
    alias: { "visual-reasoning/element": path.join(pkg, "element.js") },
  },
  build: {
    outDir: path.join(here, "dist"),
    emptyOutDir: true,
    target: "es2022",
    // Fonts and the wasm stay separate files (cacheable, and the KaTeX
    // fonts are fetched only for the glyph sets an answer uses).
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 400,
  },
  server: { fs: { allow: [here, pkg] } },
});
