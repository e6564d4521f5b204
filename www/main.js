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
