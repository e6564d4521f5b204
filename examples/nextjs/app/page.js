// The site's home page. Pages added here call the relay same-origin at
// /api/relay (see app/api/relay/[...path]/route.js).
export default function Home() {
  return (
    <main>
      <h1>visual-reasoning on Next.js</h1>
      <p>
        The relay answers at <code>/api/relay</code>: <a href="/api/relay/config">/api/relay/config</a>.
      </p>
      <p>
        The tutor element on a server-rendered page: <a href="/tutor">/tutor</a>.
      </p>
    </main>
  );
}
