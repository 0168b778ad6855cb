// The README's start command on a fresh clone, offline: a local server plays Electron's mirror and serves a zip
// holding a stub `electron` that records how it was started; `npm start` must download it and electron-vite start it.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const ELECTRON_VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/electron/package.json'), 'utf8')).version;
const EXE = process.platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : 'electron';
const ZIP_NAME = `electron-v${ELECTRON_VERSION}-${process.platform}-${process.arch}.zip`;
const ZIP_PATH = `/v${ELECTRON_VERSION}/${ZIP_NAME}`;
/** Records its working directory and arguments, one a line, to $STUB_RECORD. */
const STUB = '#!/bin/sh\n{ pwd; for arg in "$@"; do printf \'%s\\n\' "$arg"; done; } > "$STUB_RECORD"\nexit 0\n';

/** A zip with stored (uncompressed) entries and unix modes in the external attributes, as Electron's zips carry. */
function storedZip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const { name, data, mode } of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by unix, so the mode below is read
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(((0o100000 | mode) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

/** An Electron mirror on 127.0.0.1 serving the stub zip and its SHASUMS256.txt; `requests` lists every path asked for. */
async function startMirror() {
  const zip = storedZip([
    { name: EXE, data: Buffer.from(STUB), mode: 0o755 },
    { name: 'version', data: Buffer.from(ELECTRON_VERSION), mode: 0o644 },
  ]);
  const sums = `${crypto.createHash('sha256').update(zip).digest('hex')} *${ZIP_NAME}\n`;
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url);
    if (req.url === ZIP_PATH) res.end(zip);
    else if (req.url === `/v${ELECTRON_VERSION}/SHASUMS256.txt`) res.end(sums);
    else res.writeHead(404).end();
  });
  const port = await listen(server);
  return { port, url: `http://127.0.0.1:${port}/`, requests, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** An HTTP proxy that tunnels every CONNECT to the mirror, whatever host was asked for; `seen` lists the targets. */
async function startProxy(mirrorPort) {
  const seen = [];
  const server = http.createServer((_req, res) => res.writeHead(502).end());
  server.on('connect', (req, socket, head) => {
    seen.push(req.url);
    const upstream = net.connect(mirrorPort, '127.0.0.1', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** A port nothing listens on (connection refused). */
async function closedPort() {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A fresh clone as far as the start path sees it: the project's package.json and pre-step, the built out/ (or a
 * stand-in main entry when out/ was not built), electron and electron-vite copied without Electron's binary
 * (electron-vite finds electron beside itself), every other dependency linked.
 */
function freshClone(parent, name) {
  const dir = path.join(parent, name);
  fs.mkdirSync(path.join(dir, 'scripts'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  fs.copyFileSync(path.join(ROOT, 'scripts/ensure-electron.mjs'), path.join(dir, 'scripts/ensure-electron.mjs'));
  const builtMain = path.join(ROOT, PKG.main);
  if (fs.existsSync(builtMain)) fs.symlinkSync(path.join(ROOT, 'out'), path.join(dir, 'out'));
  else {
    fs.mkdirSync(path.dirname(path.join(dir, PKG.main)), { recursive: true });
    fs.writeFileSync(path.join(dir, PKG.main), '// stand-in: out/ was not built before this test\n');
  }
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(path.join(modules, '.bin'), { recursive: true });
  for (const entry of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
    if (entry === '.bin' || entry === 'electron' || entry === 'electron-vite' || entry.startsWith('.')) continue;
    fs.symlinkSync(path.join(ROOT, 'node_modules', entry), path.join(modules, entry));
  }
  const noBinary = (source) => !/[\\/]electron[\\/](dist|path\.txt|node_modules)$/.test(source);
  fs.cpSync(path.join(ROOT, 'node_modules/electron'), path.join(modules, 'electron'), { recursive: true, filter: noBinary });
  fs.cpSync(path.join(ROOT, 'node_modules/electron-vite'), path.join(modules, 'electron-vite'), { recursive: true });
  fs.symlinkSync('../electron-vite/bin/electron-vite.js', path.join(modules, '.bin/electron-vite'));
  return { dir, electronDir: path.join(modules, 'electron'), record: path.join(parent, `${name}.record`) };
}

/** The environment of a user with no Electron or proxy settings of their own, plus `extra`. */
function userEnv(tmp, record, extra = {}) {
  const env = {};
  const ownBin = path.join(ROOT, 'node_modules', '.bin');
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(electron_|npm_|https?_proxy$|no_proxy$|node_options$|init_cwd$)/i.test(key)) continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? '').split(path.delimiter).filter((p) => path.resolve(p) !== ownBin).join(path.delimiter);
  fs.writeFileSync(path.join(tmp, 'npmrc'), '');
  Object.assign(env, {
    npm_config_userconfig: path.join(tmp, 'npmrc'),
    npm_config_update_notifier: 'false',
    electron_config_cache: path.join(tmp, `cache-${path.basename(record)}`),
    electron_use_remote_checksums: '1',
    STUB_RECORD: record,
  });
  return { ...env, ...extra };
}

function run(command, args, cwd, env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** `npm start`, as the README says, with electron-vite's own --skipBuild appended (the build is checked elsewhere). */
const npmStart = (clone, env) => run('npm', ['start', '--', '--skipBuild'], clone.dir, env);
const preStep = (clone, env) => run(process.execPath, ['scripts/ensure-electron.mjs'], clone.dir, env);

describe.skipIf(process.platform === 'win32')('npm start on a fresh clone (stub Electron over a local mirror)', () => {
  let tmp;
  let mirror;
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ensure-electron-'));
    mirror = await startMirror();
  });
  afterAll(async () => {
    await mirror?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('npm start and npm run dev run the pre-step before electron-vite', () => {
    expect(PKG.scripts.start).toMatch(/^node scripts\/ensure-electron\.mjs && electron-vite preview\b/);
    expect(PKG.scripts.dev).toMatch(/^node scripts\/ensure-electron\.mjs && electron-vite dev\b/);
  });

  it(`downloads Electron through ELECTRON_MIRROR on Node ${process.versions.node}, writes path.txt and starts it on the built app; the next start needs no network`, async () => {
    const clone = freshClone(tmp, 'first-start');
    expect(fs.existsSync(path.join(clone.electronDir, 'path.txt'))).toBe(false);
    const first = await npmStart(clone, userEnv(tmp, clone.record, { ELECTRON_MIRROR: mirror.url }));
    expect(first.output).toContain('Downloading Electron (once)...');
    expect(first.output).not.toContain('Electron uninstall');
    expect(first.code, first.output).toBe(0);
    expect(mirror.requests).toContain(ZIP_PATH);
    expect(fs.readFileSync(path.join(clone.electronDir, 'path.txt'), 'utf8')).toBe(EXE);
    fs.accessSync(path.join(clone.electronDir, 'dist', EXE), fs.constants.X_OK);
    const [cwd, ...args] = fs.readFileSync(clone.record, 'utf8').trim().split('\n');
    expect(fs.realpathSync(cwd)).toBe(fs.realpathSync(clone.dir));
    expect(args).toEqual(['.']); // electron-vite starts the app folder; Electron loads package.json "main"
    expect(fs.existsSync(path.join(clone.dir, PKG.main))).toBe(true);

    fs.rmSync(clone.record);
    const again = await npmStart(clone, userEnv(tmp, clone.record, { ELECTRON_MIRROR: `http://127.0.0.1:${await closedPort()}/` }));
    expect(again.code, again.output).toBe(0);
    expect(again.output).not.toContain('Downloading Electron');
    expect(fs.existsSync(clone.record)).toBe(true);
  });

  it('with the mirror down, npm start stops before electron-vite and names the URL it tried and the fixes', async () => {
    const clone = freshClone(tmp, 'mirror-down');
    const mirrorUrl = `http://127.0.0.1:${await closedPort()}/`;
    const result = await npmStart(clone, userEnv(tmp, clone.record, { ELECTRON_MIRROR: mirrorUrl }));
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('[electron-download-failed]');
    expect(result.output).toContain(`Tried: ${mirrorUrl}v${ELECTRON_VERSION}/${ZIP_NAME}`);
    expect(result.output).toContain('ECONNREFUSED');
    for (const fix of ['HTTPS_PROXY=', 'ELECTRON_MIRROR=', 'ELECTRON_EXEC_PATH']) expect(result.output).toContain(fix);
    expect(result.output).not.toContain('Electron uninstall');
    expect(fs.existsSync(path.join(clone.electronDir, 'path.txt'))).toBe(false);
    expect(fs.existsSync(clone.record)).toBe(false);
  });

  it("behind a proxy: HTTP_PROXY alone reaches a mirror only the proxy can reach (Node's fetch ignores it by itself)", async () => {
    const proxy = await startProxy(mirror.port);
    try {
      const clone = freshClone(tmp, 'proxy');
      const env = userEnv(tmp, clone.record, { ELECTRON_MIRROR: 'http://electron-mirror.invalid/', HTTP_PROXY: proxy.url });
      const unproxied = await preStep(clone, { ...env, ELECTRON_GET_USE_PROXY: '' }); // @electron/get's proxy support off
      expect(unproxied.code).toBe(1);
      expect(unproxied.output).toContain(`through the proxy ${proxy.url}`);
      expect(proxy.seen).toEqual([]);
      const result = await preStep(clone, env);
      expect(result.code, result.output).toBe(0);
      expect(proxy.seen).toContain('electron-mirror.invalid:80');
      expect(fs.readFileSync(path.join(clone.electronDir, 'path.txt'), 'utf8')).toBe(EXE);
    } finally {
      await proxy.close();
    }
  });

  it("npm's own proxy setting is used when no proxy variable is set", async () => {
    const proxy = await startProxy(mirror.port);
    try {
      const clone = freshClone(tmp, 'npm-proxy');
      const env = userEnv(tmp, clone.record, { ELECTRON_MIRROR: 'http://electron-mirror.invalid/', npm_config_proxy: proxy.url });
      const result = await npmStart(clone, env);
      expect(result.code, result.output).toBe(0);
      expect(proxy.seen).toContain('electron-mirror.invalid:80');
      expect(fs.existsSync(clone.record)).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('ELECTRON_EXEC_PATH starts an Electron installed elsewhere, with no download', async () => {
    const clone = freshClone(tmp, 'exec-path');
    const elsewhere = path.join(tmp, 'elsewhere-electron');
    fs.writeFileSync(elsewhere, STUB, { mode: 0o755 });
    const requestsBefore = mirror.requests.length;
    const result = await npmStart(clone, userEnv(tmp, clone.record, { ELECTRON_MIRROR: mirror.url, ELECTRON_EXEC_PATH: elsewhere }));
    expect(result.code, result.output).toBe(0);
    expect(result.output).not.toContain('Downloading Electron');
    expect(mirror.requests.length).toBe(requestsBefore);
    expect(fs.readFileSync(clone.record, 'utf8').trim().split('\n').slice(1)).toEqual(['.']);
  });

  it('ELECTRON_SKIP_BINARY_DOWNLOAD is respected: no request, and the message says how to go on', async () => {
    const clone = freshClone(tmp, 'skip');
    const requestsBefore = mirror.requests.length;
    const result = await preStep(clone, userEnv(tmp, clone.record, { ELECTRON_MIRROR: mirror.url, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }));
    expect(result.code).toBe(1);
    expect(result.output).toContain('[electron-download-skipped]');
    expect(result.output).toContain('ELECTRON_EXEC_PATH');
    expect(mirror.requests.length).toBe(requestsBefore);
  });

  it('refuses a Node older than package.json "engines", before any download', async () => {
    const clone = freshClone(tmp, 'old-node');
    const newer = `>=${Number(process.versions.node.split('.')[0]) + 1}.0`;
    fs.writeFileSync(path.join(clone.dir, 'package.json'), JSON.stringify({ ...PKG, engines: { node: newer } }));
    const requestsBefore = mirror.requests.length;
    const result = await preStep(clone, userEnv(tmp, clone.record, { ELECTRON_MIRROR: mirror.url }));
    expect(result.code).toBe(1);
    expect(result.output).toContain(`[node-too-old] Node ${process.versions.node} is too old for this project: it needs Node ${newer}`);
    expect(mirror.requests.length).toBe(requestsBefore);
  });

  it('ELECTRON_OVERRIDE_DIST_PATH, which electron-vite ignores, is refused with the ELECTRON_EXEC_PATH to set', async () => {
    const clone = freshClone(tmp, 'override');
    const result = await preStep(clone, userEnv(tmp, clone.record, { ELECTRON_OVERRIDE_DIST_PATH: path.join(tmp, 'electron-dist') }));
    expect(result.code).toBe(1);
    expect(result.output).toContain(`ELECTRON_EXEC_PATH=${path.join(tmp, 'electron-dist', EXE)}`);
  });
});
