import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Nothing for visual-reasoning: Vite emits its .wasm as an asset, found
// through `new URL(…, import.meta.url)`, and the element's math chunk and
// KaTeX fonts the same way.
export default defineConfig({
  plugins: [react()],
});
