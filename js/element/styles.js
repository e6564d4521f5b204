// @ts-check
// Everything lives in the shadow root; hosts theme it through the --vr-*
// custom properties (they inherit through the shadow boundary) and ::part().
// Each --vr-* has a light and a dark default (prefers-color-scheme).
export const CSS = `
:host {
  --_accent: var(--vr-accent, #2f6fde);
  --_accent-fg: var(--vr-accent-fg, #ffffff);
  --_bg: var(--vr-bg, #ffffff);
  --_fg: var(--vr-fg, #1c1f24);
  --_muted: var(--vr-muted, #5b6470);
  --_surface: var(--vr-surface, #f4f6f9);
  --_border: var(--vr-border, #d5dae1);
  --_error: var(--vr-error, #b3261e);
  --_error-bg: var(--vr-error-bg, #fdecea);
  --_radius: var(--vr-radius, 12px);
  --_font: var(--vr-font, system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", sans-serif);
  --_mono: var(--vr-font-mono, ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace);
  --_thinking-h: var(--vr-thinking-max-height, 16rem);
  display: block;
  box-sizing: border-box;
  min-width: 0;
  max-width: 100%;
  font-family: var(--_font);
  font-size: var(--vr-font-size, 1rem);
  line-height: 1.5;
  color: var(--_fg);
  background: var(--_bg);
  border: 1px solid var(--_border);
  border-radius: var(--_radius);
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :host {
    --_accent: var(--vr-accent, #8ab4ff);
    --_accent-fg: var(--vr-accent-fg, #0b1220);
    --_bg: var(--vr-bg, #16181d);
    --_fg: var(--vr-fg, #e6e8eb);
    --_muted: var(--vr-muted, #a3acb8);
    --_surface: var(--vr-surface, #20242b);
    --_border: var(--vr-border, #3a404a);
    --_error: var(--vr-error, #ffb4ab);
    --_error-bg: var(--vr-error-bg, #3b1714);
  }
}
:host([hidden]) { display: none; }
*, *::before, *::after { box-sizing: inherit; }
/* Any text may break anywhere once it cannot fit (ids, URLs, a long word in
   a translation): Firefox does not break chatcmpl-36cfb393-8339-… at its
   hyphens, and nothing may reach past the border at 390 px. */
.wrap { display: grid; grid-template-columns: minmax(0, 1fr); gap: 0.75rem; padding: 1rem; min-width: 0; overflow-wrap: anywhere; }
@media (max-width: 480px) { .wrap { padding: 0.75rem; } }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
button, select, input, textarea { font: inherit; color: inherit; }
button {
  cursor: pointer; border-radius: 8px; border: 1px solid var(--_border);
  background: var(--_surface); padding: 0.45rem 0.9rem; min-height: 2.5rem;
}
button.primary { background: var(--_accent); color: var(--_accent-fg); border-color: var(--_accent); font-weight: 600; }
button:disabled { opacity: 0.55; cursor: not-allowed; }
:focus-visible { outline: 3px solid var(--_accent); outline-offset: 2px; }
select, input[type=number], textarea {
  background: var(--_bg); border: 1px solid var(--_border); border-radius: 8px; padding: 0.4rem 0.5rem; min-height: 2.5rem;
}
/* One column as wide as the element, whatever the content's own width
   (a long model id in a select, a wide formula): minmax(0, 1fr). */
.thread { display: grid; grid-template-columns: minmax(0, 1fr); gap: 1rem; min-width: 0; }
.thread:empty { display: none; }
.turn { display: grid; grid-template-columns: minmax(0, 1fr); gap: 0.5rem; min-width: 0; }
.user { justify-self: end; max-width: min(100%, 40rem); background: var(--_surface); border-radius: var(--_radius); padding: 0.5rem 0.75rem; white-space: pre-wrap; }
.user .thumbs { display: flex; gap: 0.25rem; flex-wrap: wrap; margin-bottom: 0.25rem; }
.user .thumbs img { height: 3rem; width: auto; border-radius: 6px; border: 1px solid var(--_border); }
details.thinking { border: 1px solid var(--_border); border-radius: var(--_radius); background: var(--_surface); min-width: 0; }
details.thinking > summary { cursor: pointer; padding: 0.5rem 0.75rem; color: var(--_muted); font-size: 0.9em; list-style-position: inside; }
.thinking-body {
  max-height: var(--_thinking-h); overflow: auto; padding: 0 0.75rem 0.75rem; font-size: 0.85em; color: var(--_muted);
  white-space: pre-wrap; overscroll-behavior: contain;
}
.thinking-body > div { contain: content; content-visibility: auto; contain-intrinsic-size: auto 10rem; }
/* A formula cannot break inside a run of symbols with no operator between
   them: its paragraph scrolls sideways rather than spill past the border
   (the answer itself for a list or a quote). */
.answer { min-width: 0; overflow-x: auto; }
/* A block of the answer off screen costs no style, layout or paint: with
   hundreds of blocks, appending one would otherwise cost more the longer
   the answer (measured: 50 → 241 ms a frame at 4× CPU from 1k to 8k tokens,
   flat with this). Lists and quotes too: left out, their layout and paint
   still grew with the answer (at 4× CPU, 4k tokens, a frame's p90 52 ms,
   29 with them). Containment stops margins from collapsing through a
   block, so a loose list's first and last paragraphs give theirs (1em)
   to the list's own (1em): the same spacing. */
.answer > :is(p, h1, h2, h3, h4, h5, h6, pre, table, .vr-math-display, ol, ul, blockquote) { content-visibility: auto; contain-intrinsic-size: auto 3em; }
.answer > :is(ol, ul) > li:first-child > :first-child,
.answer > blockquote > :first-child { margin-top: 0; }
.answer > :is(ol, ul) > li:last-child > :last-child,
.answer > blockquote > :last-child { margin-bottom: 0; }
.answer > :is(p, h1, h2, h3, h4, h5, h6) { overflow-x: auto; overflow-y: hidden; }
.answer:empty { display: none; }
.answer pre { background: var(--_surface); padding: 0.75rem; border-radius: 8px; overflow-x: auto; font-family: var(--_mono); font-size: 0.9em; }
.answer code { font-family: var(--_mono); font-size: 0.9em; }
.answer table { border-collapse: collapse; display: block; overflow-x: auto; }
.answer th, .answer td { border: 1px solid var(--_border); padding: 0.25rem 0.5rem; overflow-wrap: break-word; }
.answer img { max-width: 100%; }
.answer a { color: var(--_accent); }
.answer .vr-math-display { display: block; overflow-x: auto; overflow-y: hidden; margin: 0.5rem 0; }
.answer > :first-child { margin-top: 0; }
.answer > :last-child { margin-bottom: 0; }
.meta { color: var(--_muted); font-size: 0.85em; }
.meta:empty, .note:empty { display: none; }
.note { color: var(--_muted); font-size: 0.85em; font-style: italic; }
.error { border: 1px solid var(--_error); color: var(--_error); background: var(--_error-bg); border-radius: var(--_radius); padding: 0.5rem 0.75rem; }
.error[hidden] { display: none; }
.error strong { display: block; }
.error .detail, .error .rid { font-size: 0.85em; }
.error .rid code { user-select: all; }
.composer { display: grid; grid-template-columns: minmax(0, 1fr); gap: 0.5rem; min-width: 0; }
.drop {
  border: 2px dashed var(--_border); border-radius: var(--_radius); padding: 0.75rem; display: grid; gap: 0.5rem;
}
.drop.over { border-color: var(--_accent); background: var(--_surface); }
.drop-row { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
.hint { color: var(--_muted); font-size: 0.9em; }
.previews { display: flex; flex-wrap: wrap; gap: 0.5rem; list-style: none; margin: 0; padding: 0; }
.previews:empty { display: none; }
.preview { display: grid; grid-template-columns: auto 1fr auto; gap: 0.5rem; align-items: center; background: var(--_surface); border-radius: 8px; padding: 0.25rem 0.5rem 0.25rem 0.25rem; max-width: 100%; }
.preview img { width: 3.5rem; height: 3.5rem; object-fit: cover; border-radius: 6px; }
.preview .info { font-size: 0.8em; color: var(--_muted); }
.preview button { min-height: 2rem; padding: 0.1rem 0.5rem; }
textarea { width: 100%; min-height: 4.5rem; resize: vertical; }
.actions { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
.actions .spacer { flex: 1; }
.options { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: end; font-size: 0.9em; }
.options label { display: grid; grid-template-columns: minmax(0, 1fr); gap: 0.15rem; min-width: 0; max-width: 100%; }
.options .check { display: flex; gap: 0.4rem; align-items: center; min-height: 2.5rem; }
.options .check input { width: 1.1rem; height: 1.1rem; }
.options input[type=number] { width: 8rem; }
/* WebKit lays a select's text out at full width whatever the select's
   width (overflow does not apply to it) and the page then scrolls
   sideways by the rest of a long model id: paint containment keeps that
   overflow inside the select. */
.options select { max-width: 100%; contain: paint; }
.reason { color: var(--_muted); font-size: 0.85em; flex-basis: 100%; }
.reason:empty { display: none; }
.region { color: var(--_muted); align-self: center; }
input[type=file] { display: none; }
@media (prefers-reduced-motion: no-preference) {
  .streaming .cursor::after { content: "▍"; animation: vr-blink 1s steps(1) infinite; }
  @keyframes vr-blink { 50% { opacity: 0; } }
}
`;
