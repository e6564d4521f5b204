// A server-rendered page with the tutor element: this server component
// renders the page's HTML (with the <visual-reasoning-tutor> tag and its
// attributes); the client component below hydrates it in the browser,
// where the tag upgrades and asks through the site's own relay route.
import { Tutor } from "./tutor.js";

export const metadata = { title: "Tutor · visual-reasoning on Next.js" };

export default function TutorPage() {
  return (
    <main>
      <h1>Ask the tutor</h1>
      <p>Photograph a problem, watch the model think, read the answer.</p>
      <Tutor />
    </main>
  );
}
