// The app's own pages would be here; the sign-in page the test drives is public/app.html, the
// same page as examples/browser/index.html.
export default function Home() {
  return <a href="/app.html">Sign in</a>;
}
