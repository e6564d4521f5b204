import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Ask } from "./Ask";
import { Tutor } from "./Tutor";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <main>
      <h1>visual-reasoning with Vite + React</h1>
      <Ask />
      <Tutor />
    </main>
  </StrictMode>,
);
