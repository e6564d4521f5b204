// Modules scripts/build-element.mjs makes at build time (its esbuild plugin).

/** KaTeX's stylesheet without its @font-face rules (for the shadow roots). */
declare module "vr:katex-css" {
  const css: string;
  export default css;
}

/** KaTeX's @font-face rules, with font URLs resolved from import.meta.url. */
declare module "vr:katex-fonts" {
  export function fontFaceCss(): string;
}
