// Web mode's transport: the token is required on every request and on the events WebSocket, other
// origins are refused, operations reach the studio's dispatch, and an event the studio publishes
// reaches every connected socket.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ExportStatus, StudioEvent } from '../../shared/api';
import { EventBus } from '../api/events';
import { startWebServer, type WebServer } from './server';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-web-'));
let server: WebServer;
let base: string;

/** A stand-in studio: answers every operation with its name and arguments, and has one finished export. */
const bus = new EventBus();
const exported = path.join(tmp, 'clip.mp4');
const studio = {
  dispatch: async (name: string, args: unknown) => ({ ok: true as const, value: { name, args } }),
  subscribe: bus.subscribe,
  exportFile: (fileName: string) => (fileName === 'clip.mp4' ? exported : null),
};

beforeAll(async () => {
  fs.writeFileSync(path.join(tmp, 'index.html'), '<!doctype html><title>studio</title>');
  fs.writeFileSync(exported, Buffer.alloc(1234, 7));
  server = await startWebServer({ studio, rendererDir: tmp });
  base = new URL(server.url).origin;
});
afterAll(async () => {
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Opens a socket; resolves with it once open, or with the HTTP status the upgrade was refused with. */
function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

const status: ExportStatus = { jobId: 'j1', state: 'running', stage: 'rendering', notices: [], framesEncoded: 3, totalFrames: 10, framesPerSecond: 5, etaSeconds: 1.4, elapsedSeconds: 0.6, fileName: 'a.mp4', outputPath: '/x/a.mp4' };

describe('web server', () => {
  it('serves the page only with the token, and refuses other origins', async () => {
    expect((await fetch(`${base}/`)).status).toBe(401);
    expect((await fetch(server.url)).status).toBe(200);
    expect((await fetch(server.url, { headers: { Origin: 'http://evil.example' } })).status).toBe(403);
  });

  it('hands operations to the studio with their arguments, and downloads only its finished exports', async () => {
    const post = (name: string, body: string) => fetch(`${base}/api/${name}?token=${server.token}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    expect(await (await post('models.use', '{"id":"m"}')).json()).toEqual({ ok: true, value: { name: 'models.use', args: { id: 'm' } } });
    expect((await post('models.use', '{not json')).status).toBe(400);
    const download = await fetch(`${base}/exports/clip.mp4?token=${server.token}`);
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="clip.mp4"');
    expect((await download.arrayBuffer()).byteLength).toBe(1234);
    expect((await fetch(`${base}/exports/other.mp4?token=${server.token}`)).status).toBe(404);
  });

  it('pushes published events to every socket that gave the token', async () => {
    const wsUrl = `${base.replace('http', 'ws')}/events?token=${server.token}`;
    const sockets = (await Promise.all([connect(wsUrl), connect(wsUrl)])) as WebSocket[];
    const received = sockets.map((ws) => new Promise<StudioEvent>((resolve) => ws.once('message', (m) => resolve(JSON.parse(String(m))))));
    bus.publish('export.progress', status);
    for (const event of await Promise.all(received)) expect(event).toEqual({ name: 'export.progress', payload: status });
    for (const ws of sockets) ws.close();
  });

  it('refuses a socket without the token, from another origin, or on another path', async () => {
    const ws = base.replace('http', 'ws');
    expect(await connect(`${ws}/events`)).toBe(401);
    expect(await connect(`${ws}/events?token=wrong`)).toBe(401);
    expect(await connect(`${ws}/events?token=${server.token}`, { Origin: 'http://evil.example' })).toBe(403);
    expect(await connect(`${ws}/elsewhere?token=${server.token}`)).toBe(404);
  });
});
