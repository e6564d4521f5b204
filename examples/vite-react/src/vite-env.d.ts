/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The relay the page talks to (it holds the Model Studio key); default: the demo's, http://127.0.0.1:8787. */
  readonly VITE_RELAY_URL?: string;
}
