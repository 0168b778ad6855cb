// The renderer's Content-Security-Policy in one place: the Electron session header, the page's meta
// tag (injected by the renderer build) and the web-mode server all send this, so they cannot drift.

const DIRECTIVES = [
  "default-src 'self'",
  // WebAssembly may compile; nothing else: no eval, no inline scripts, nothing remote.
  "script-src 'self' 'wasm-unsafe-eval'",
  // Svelte sets inline style attributes (positions, sizes) at run time.
  "style-src 'self' 'unsafe-inline'",
  // Rendered frames reach the viewer as data: and blob: URLs.
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
];

/** For HTTP headers (Electron's session, web mode). */
export const CONTENT_SECURITY_POLICY = [...DIRECTIVES, "frame-ancestors 'none'"].join('; ');

/** For a <meta> tag, where browsers ignore (and warn about) frame-ancestors. */
export const META_CONTENT_SECURITY_POLICY = DIRECTIVES.join('; ');
