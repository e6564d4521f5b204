// The demo is the element plus three sample problems: everything a student
// does goes through <visual-reasoning-tutor>'s own code path.
import "visual-reasoning/element";

const tutor = document.getElementById("tutor");

for (const button of document.querySelectorAll("button.sample")) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const res = await fetch(button.dataset.image);
      if (!res.ok) throw new Error(`HTTP ${res.status} for ${button.dataset.image}`);
      const blob = await res.blob();
      // A sample is a new problem: drop the previous conversation.
      tutor.reset();
      tutor.question = button.dataset.question;
      await tutor.addImage(new File([blob], button.dataset.name, { type: blob.type || "image/png" }));
      tutor.scrollIntoView({ block: "nearest", behavior: "smooth" });
    } catch (e) {
      console.warn("could not load the sample", e);
    } finally {
      button.disabled = false;
    }
  });
}

// Paste an image anywhere on the page, not only inside the element.
document.addEventListener("paste", (e) => {
  if (e.composedPath().includes(tutor)) return; // the element handles its own
  const files = [...(e.clipboardData?.files || [])].filter((f) => f.type.startsWith("image/"));
  if (files.length) {
    e.preventDefault();
    for (const f of files) tutor.addImage(f);
  }
});

// The embed example points at the relay that served this page.
const code = document.getElementById("embed-code");
if (code && location.protocol.startsWith("http")) {
  code.textContent = code.textContent.replaceAll("http://127.0.0.1:8787", location.origin);
}
