// The studio's own URL scheme for the built app: the window loads studio://app/index.html, and the
// handler answers only with files inside the built renderer folder. Loading from file:// instead
// would make the page's 'self' cover every file on the disk. Electron-free (a fetch Response), so
// the Electron shell only registers it, and it is tested in plain Node.
import fs from 'node:fs';
import path from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../shared/csp';

export const APP_SCHEME = 'studio';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.wasm': 'application/wasm', '.png': 'image/png', '.svg': 'image/svg+xml', '.json': 'application/json', '.woff2': 'font/woff2',
};

/** The renderer file a studio:// URL names, or null when it names anything else. */
export function appFileFor(requestUrl: string, rendererDir: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (`${url.protocol}//${url.host}` !== APP_ORIGIN) return null;
  const root = path.resolve(rendererDir);
  let relative: string;
  try {
    relative = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
  } catch {
    return null;
  }
  const file = path.resolve(root, `.${relative}`);
  if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return null;
  return file;
}

/** The answer to a studio:// request: the file with its type and the studio's CSP, or 404. */
export function appResponse(requestUrl: string, rendererDir: string): Response {
  const file = appFileFor(requestUrl, rendererDir);
  const headers = { 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' };
  if (!file) return new Response('not found', { status: 404, headers: { ...headers, 'Content-Type': 'text/plain' } });
  return new Response(fs.readFileSync(file), { status: 200, headers: { ...headers, 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' } });
}
