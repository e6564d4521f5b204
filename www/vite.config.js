// The demo is a plain page on top of the built package: the element entry
// comes from ../pkg (built by scripts/build.sh), bundled again by Vite with
// the wasm, the KaTeX chunk and its fonts. No CDN: dist/ works offline.
import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { cpSync, existsSync, readdirSync } from "node:fs";

const here = path.dirname(fileURLToPath(import.meta.url));
// VR_PKG_DIR: build against another package directory (default ../pkg).
const pkg = path.resolve(here, process.env.VR_PKG_DIR ?? "../pkg");

// Also publish the unbundled package under dist/pkg/, so any page can embed
// the element straight from the relay that serves this site:
//   <script type="module" src="http://127.0.0.1:8787/pkg/element.js"></script>
const PACKAGE_FILES = /^(element(-[\w-]+)?\.js|element\.d\.ts|visual_reasoning(_nosimd)?(_bg)?\.(js|wasm|d\.ts)|package\.json)$/;
function copyPackage() {
  return {
    name: "copy-package",
    apply: "build",
    closeBundle() {
      if (!existsSync(path.join(pkg, "element.js"))) throw new Error(`${pkg}/element.js missing: run scripts/build.sh first`);
      const out = path.join(here, "dist", "pkg");
      for (const f of readdirSync(pkg)) {
        if (PACKAGE_FILES.test(f)) cpSync(path.join(pkg, f), path.join(out, f));
      }
      cpSync(path.join(pkg, "katex-fonts"), path.join(out, "katex-fonts"), { recursive: true });
    },
  };
}

export default defineConfig({
  root: here,
  plugins: [copyPackage()],
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
