// Web mode: the same renderer and the same operation table over HTTP on 127.0.0.1, and the events
// over a WebSocket, for headless or remote machines and for browser tests. Every request (and the
// WebSocket upgrade) needs the random token from the printed URL; other origins are refused; only
// the built renderer's files are served.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../../shared/csp';
import { WebSocketServer } from 'ws';
import { EVENTS_PATH } from '../../shared/api';
import type { Studio } from '../api/studio';

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.png': 'image/png', '.svg': 'image/svg+xml', '.json': 'application/json', '.mp4': 'video/mp4', '.webm': 'video/webm', '.gif': 'image/gif' };
/** Photo and model uploads arrive as base64 inside JSON (see MAX_UPLOAD_CHARS in shared/api.ts). */
const MAX_BODY = 64 << 20;

export interface WebServer {
  readonly url: string;
  readonly token: string;
  close(): Promise<void>;
}

export interface WebServerOptions {
  /** The studio served: its operations, its events and its finished exports. */
  readonly studio: Pick<Studio, 'dispatch' | 'subscribe' | 'exportFile'>;
  readonly port?: number;
  /** The built renderer (electron-vite's out/renderer). */
  readonly rendererDir: string;
  readonly token?: string;
}

function send(res: http.ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8', token?: string): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    ...(token ? { 'Set-Cookie': `studio_token=${token}; HttpOnly; SameSite=Strict; Path=/` } : {}),
  });
  res.end(body);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(new Error('request body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const { studio } = options;
  const token = options.token ?? crypto.randomBytes(18).toString('base64url');
  const root = path.resolve(options.rendererDir);
  if (!fs.existsSync(path.join(root, 'index.html'))) throw new Error(`no built renderer in ${root}; run 'npx electron-vite build' first`);
  let origin = '';
  /** Why a request may not proceed (status and message), or null when it carries the token from our own origin. */
  const refusal = (req: http.IncomingMessage, url: URL): [number, string] | null => {
    // The page URL carries the token; a strict same-site cookie then covers its scripts and API calls.
    const cookie = /(?:^|;\s*)studio_token=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    const given = url.searchParams.get('token') ?? req.headers['x-studio-token'] ?? cookie;
    const requestOrigin = req.headers.origin;
    if (requestOrigin && requestOrigin !== origin) return [403, 'other origins are not allowed'];
    if (given !== token) return [401, 'missing or wrong token: open the URL printed by the server'];
    return null;
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const refused = refusal(req, url);
    if (refused) return send(res, ...refused);
    if (url.pathname.startsWith('/api/') && req.method === 'POST') {
      readBody(req)
        .then(async (body) => send(res, 200, JSON.stringify(await studio.dispatch(decodeURIComponent(url.pathname.slice(5)), body ? JSON.parse(body) : {})), 'application/json'))
        .catch((err: Error) => send(res, 400, JSON.stringify({ ok: false, error: { code: 'bad-request', message: err.message } }), 'application/json'));
      return;
    }
    if (req.method !== 'GET') return send(res, 405, 'method not allowed');
    // Finished exports are downloaded (web mode has no file manager to show them in).
    if (url.pathname.startsWith('/exports/')) {
      const exported = studio.exportFile(decodeURIComponent(url.pathname.slice('/exports/'.length)));
      if (!exported) return send(res, 404, 'no such export');
      res.writeHead(200, { 'Content-Type': TYPES[path.extname(exported)] ?? 'application/octet-stream', 'Content-Length': fs.statSync(exported).size, 'Content-Disposition': `attachment; filename="${path.basename(exported).replace(/"/g, '')}"` });
      fs.createReadStream(exported).pipe(res);
      return;
    }
    const file = path.resolve(root, `.${url.pathname === '/' ? '/index.html' : decodeURIComponent(url.pathname)}`);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return send(res, 404, 'not found');
    send(res, 200, fs.readFileSync(file), TYPES[path.extname(file)] ?? 'application/octet-stream', token);
  });
  // Events: every window's WebSocket gets every event (the same as Electron's windows over IPC).
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', origin);
    const refused = url.pathname === EVENTS_PATH ? refusal(req, url) : ([404, 'not found'] as [number, string]);
    if (refused) {
      socket.end(`HTTP/1.1 ${refused[0]} ${http.STATUS_CODES[refused[0]]}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${refused[1]}`);
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => sockets.emit('connection', ws, req));
  });
  const unsubscribe = studio.subscribe((event) => {
    const message = JSON.stringify(event);
    for (const client of sockets.clients) if (client.readyState === client.OPEN) client.send(message);
  });
  const close = async () => {
    unsubscribe();
    for (const client of sockets.clients) client.terminate();
    await new Promise<void>((r) => sockets.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  };
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      origin = `http://127.0.0.1:${address.port}`;
      resolve({ url: `${origin}/?token=${token}`, token, close });
    });
  });
}
