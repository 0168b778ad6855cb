// Electronegativity over the app: the main-process and preload sources (the bundle itself does not
// parse with its ESM shims) and the built renderer page, whose CSP the build fills in. Fails on any
// finding of medium or high severity. Offline, so the Electron version is given, not looked up.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

/**
 * Checks left out, each with why:
 * - PreloadJSCheck (PRELOAD_JS_CHECK) flags every preload script for manual review. Ours (src/preload/index.ts) is
 *   reviewed: it exposes only the generated operation invokers through contextBridge, never
 *   ipcRenderer itself, and runs sandboxed with context isolation.
 */
const EXCLUDED = ['PreloadJSCheck'];

const require = createRequire(import.meta.url);
const electronVersion = require('electron/package.json').version;
if (!fs.existsSync('out/renderer/index.html')) {
  console.error('security check: build first (npx electron-vite build)');
  process.exit(1);
}
const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-eneg-'));
for (const dir of ['src/main', 'src/preload', 'src/shared']) fs.cpSync(dir, path.join(stage, 'app', dir), { recursive: true, filter: (f) => !f.endsWith('.test.ts') });
fs.cpSync('out/renderer/index.html', path.join(stage, 'app/renderer/index.html'));
const report = path.join(stage, 'findings.csv');
const cli = path.join(path.dirname(require.resolve('@doyensec/electronegativity/package.json')), 'dist/index.js');
const run = spawnSync(process.execPath, [cli, '-i', path.join(stage, 'app'), '-r', '-v', 'false', '-e', electronVersion, '-x', EXCLUDED.join(','), '-o', report], { encoding: 'utf8' });
if (!fs.existsSync(report)) {
  fs.rmSync(stage, { recursive: true, force: true });
  console.error(`security check: electronegativity wrote no report (exit ${run.status})\n${run.stderr}`);
  process.exit(1);
}
const rows = fs.readFileSync(report, 'utf8').trim().split('\n').slice(1).filter(Boolean);
const serious = rows.filter((r) => /^[A-Z_]+,"(MEDIUM|HIGH)"/.test(r));
for (const r of rows) console.log(`  ${serious.includes(r) ? '✗' : '·'} ${r.split(',').slice(0, 5).join(' ')}`);
console.log(`electronegativity ${electronVersion}: ${rows.length} findings, ${serious.length} of medium or high severity (excluded: ${EXCLUDED.join(', ')})`);
fs.rmSync(stage, { recursive: true, force: true });
process.exit(serious.length ? 1 : 0);
