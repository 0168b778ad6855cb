// Runs before `electron-vite preview` / `electron-vite dev` (npm start, npm run dev): makes sure Electron's
// binary is on disk, downloading it once through Electron's own installer, and says what to set when it can't.
// Why: electron-vite reads node_modules/electron/path.txt itself and never triggers Electron's lazy download.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];
/** An example public mirror, for the message only. */
const EXAMPLE_MIRROR = 'https://npmmirror.com/mirrors/electron/';

class EnsureError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** The electron package electron-vite will read: resolved from electron-vite's own location, as it does. */
function electronPackage(projectRoot) {
  const fromProject = createRequire(path.join(projectRoot, 'package.json'));
  const electronVitePkg = fromProject.resolve('electron-vite/package.json');
  const pkgFile = createRequire(electronVitePkg).resolve('electron/package.json');
  const { version } = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
  return { dir: path.dirname(pkgFile), version };
}

/** Where install.js puts the executable inside dist/, by the platform it downloads for (as install.js decides). */
function platformTarget(env) {
  const platform = env.ELECTRON_INSTALL_PLATFORM || env.npm_config_platform || process.platform;
  const arch = env.ELECTRON_INSTALL_ARCH || env.npm_config_arch || process.arch;
  const exe = { darwin: 'Electron.app/Contents/MacOS/Electron', mas: 'Electron.app/Contents/MacOS/Electron', win32: 'electron.exe' }[platform] ?? 'electron';
  return { platform, arch, exe };
}

/** The binary electron-vite would start from path.txt (read untrimmed, as electron-vite reads it), or null. */
function installedBinary(electronDir) {
  const pathFile = path.join(electronDir, 'path.txt');
  if (!fs.existsSync(pathFile)) return null;
  const binary = path.join(electronDir, 'dist', fs.readFileSync(pathFile, 'utf8'));
  return fs.existsSync(binary) ? binary : null;
}

function truthy(value) {
  return value !== undefined && value !== '' && !['0', 'false', 'no'].includes(value.toLowerCase());
}

/** The URL @electron/get will fetch, computed by its own code so every mirror variable counts; null if unknown. */
async function artifactUrl(electronDir, version, target) {
  try {
    const getEntry = createRequire(path.join(electronDir, 'package.json')).resolve('@electron/get');
    const utils = await import(pathToFileURL(path.join(path.dirname(getEntry), 'artifact-utils.js')).href);
    return await utils.getArtifactRemoteURL({ version: `v${version}`, artifactName: 'electron', platform: target.platform, arch: target.arch });
  } catch {
    return null;
  }
}

/**
 * The environment for Electron's installer. Node's fetch ignores HTTPS_PROXY, so when a proxy is set (or npm
 * has one configured) @electron/get's own proxy support is switched on with it.
 */
function installerEnv(env) {
  const out = { ...env, ELECTRON_GET_NO_PROGRESS: env.ELECTRON_GET_NO_PROGRESS ?? '1' };
  const npmProxy = env.npm_config_https_proxy || env.npm_config_proxy;
  if (npmProxy && !PROXY_VARS.some((name) => env[name])) {
    out.HTTPS_PROXY = npmProxy;
    out.HTTP_PROXY = env.npm_config_proxy || npmProxy;
  }
  if (PROXY_VARS.some((name) => out[name]) && out.ELECTRON_GET_USE_PROXY === undefined) out.ELECTRON_GET_USE_PROXY = '1';
  return out;
}

/** Runs node_modules/electron/install.js; resolves with its exit code and the tail of its stderr. */
function runInstaller(electronDir, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(electronDir, 'install.js')], { env, stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-16_384);
    });
    child.on('error', (err) => resolve({ code: 1, stderr: err.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, stderr }));
  });
}

/** Why a bare "fetch failed" failed (refused, no DNS, certificate...): install.js prints the error without its cause. */
async function probeCause(url, env) {
  if (!url || PROXY_VARS.some((name) => env[name])) return '';
  try {
    await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(5_000) });
    return '';
  } catch (err) {
    const cause = err?.cause;
    return cause ? ` (${cause.code ?? ''}${cause.code && cause.message ? ': ' : ''}${cause.message ?? ''})` : ` (${err?.message ?? err})`;
  }
}

function downloadFailure(version, target, url, errorLines, env) {
  const checksumHint = /checksum/i.test(errorLines)
    ? ['  - The file did not match Electron\'s published checksums: for a mirror that hosts builds of its own, also set electron_use_remote_checksums=1.']
    : [];
  const proxy = PROXY_VARS.map((name) => env[name]).find(Boolean);
  return new EnsureError('electron-download-failed', [
    `Could not download Electron ${version} (${target.platform}-${target.arch}).`,
    `  Tried: ${url ?? "the mirror in ELECTRON_MIRROR, else GitHub's Electron releases"}${proxy ? ` through the proxy ${proxy}` : ''}`,
    `  Error: ${errorLines || 'install.js failed without a message'}`,
    'What to do:',
    '  - No network: run `npm start` once with network access; the binary is kept in node_modules/electron/dist.',
    '  - Behind a proxy: set HTTPS_PROXY=http://host:port (and NO_PROXY if needed); it is passed to Electron\'s downloader (ELECTRON_GET_USE_PROXY=1). npm\'s own proxy setting is used when HTTPS_PROXY is unset.',
    `  - GitHub blocked: set ELECTRON_MIRROR to a mirror, e.g. ELECTRON_MIRROR=${EXAMPLE_MIRROR} (the file fetched is ELECTRON_MIRROR + v${version}/electron-v${version}-${target.platform}-${target.arch}.zip).`,
    ...checksumHint,
    `  - Electron ${version} installed elsewhere: set ELECTRON_EXEC_PATH to its executable (electron-vite reads ELECTRON_EXEC_PATH; it ignores ELECTRON_OVERRIDE_DIST_PATH).`,
    'Then run `npm start` again.',
  ].join('\n'));
}

/** Refuses Node versions older than package.json's engines (require() of Electron's ES-module downloader needs 20.19). */
function checkNode(projectRoot) {
  const engines = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')).engines?.node ?? '';
  const wanted = /(\d+)\.(\d+)/.exec(engines);
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (wanted && (major < Number(wanted[1]) || (major === Number(wanted[1]) && minor < Number(wanted[2])))) {
    throw new EnsureError('node-too-old', `Node ${process.versions.node} is too old for this project: it needs Node ${engines} (package.json "engines").`);
  }
}

/** The checks that need no network; returns the binary to use, or null when a download is needed. */
function alreadyThere(electronDir, version, env) {
  if (env.ELECTRON_EXEC_PATH) {
    if (fs.existsSync(env.ELECTRON_EXEC_PATH)) return env.ELECTRON_EXEC_PATH;
    throw new EnsureError('electron-exec-path-missing', `ELECTRON_EXEC_PATH is set to ${env.ELECTRON_EXEC_PATH}, which does not exist. Point it at an Electron ${version} executable, or unset it to use (and download) node_modules/electron.`);
  }
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const candidate = path.join(env.ELECTRON_OVERRIDE_DIST_PATH, platformTarget(env).exe);
    throw new EnsureError('electron-override-unsupported', `ELECTRON_OVERRIDE_DIST_PATH is set, but electron-vite (npm start, npm run dev) does not read it and would start node_modules/electron instead. Set ELECTRON_EXEC_PATH=${candidate} to use that Electron, or unset ELECTRON_OVERRIDE_DIST_PATH.`);
  }
  const binary = installedBinary(electronDir);
  if (binary) return binary;
  if (truthy(env.ELECTRON_SKIP_BINARY_DOWNLOAD)) {
    throw new EnsureError('electron-download-skipped', `Electron's binary is not installed (no ${path.join(electronDir, 'path.txt')} or its dist/), and ELECTRON_SKIP_BINARY_DOWNLOAD is set, so it is not downloaded. Unset ELECTRON_SKIP_BINARY_DOWNLOAD to let \`npm start\` download it once, or set ELECTRON_EXEC_PATH to an Electron ${version} executable.`);
  }
  return null;
}

/** Makes sure an Electron binary is there for electron-vite; returns its path. Throws EnsureError with a code. */
export async function ensureElectron({ projectRoot = PROJECT_ROOT, env = process.env } = {}) {
  checkNode(projectRoot);
  const { dir, version } = electronPackage(projectRoot);
  const present = alreadyThere(dir, version, env);
  if (present) return present;
  const target = platformTarget(env);
  const url = await artifactUrl(dir, version, target);
  const childEnv = installerEnv(env);
  console.log(`Downloading Electron (once)... ${version} for ${target.platform}-${target.arch}${url ? ` from ${url}` : ''}`);
  const { code, stderr } = await runInstaller(dir, childEnv);
  if (code !== 0) {
    const lines = stderr.split('\n').filter((line) => line.trim() && !/^\s+at /.test(line)).slice(0, 4).join(' / ');
    const cause = /fetch failed/.test(lines) ? await probeCause(url, childEnv) : '';
    throw downloadFailure(version, target, url, `${lines}${cause}`, childEnv);
  }
  const binary = installedBinary(dir);
  if (!binary) throw new EnsureError('electron-install-incomplete', `Electron's installer finished, but ${path.join(dir, 'path.txt')} or the binary it names is missing. Delete ${path.join(dir, 'dist')} and run \`npm start\` again.`);
  console.log(`Electron ${version} is ready: ${binary}`);
  return binary;
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url))) {
  try {
    await ensureElectron();
  } catch (err) {
    console.error(`\n${err.code ? `[${err.code}] ` : ''}${err.message}`);
    process.exitCode = 1;
  }
}
