// Loads every worker entry of the Electron main bundle in plain Node, each in a fresh process, as
// Electron's worker threads and forked job processes load them: a bundle that fails to parse or
// link (for instance two `require` declarations in one chunk) fails here, where the Electron window
// test cannot run. index.js is left out: it imports electron itself.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = path.resolve('out/main');
const entries = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.js') && f !== 'index.js') : [];
if (entries.length === 0) {
  console.error(`no worker entries in ${dir}: run electron-vite build first`);
  process.exit(1);
}
let failed = 0;
for (const entry of entries) {
  const url = pathToFileURL(path.join(dir, entry)).href;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(url)});`], { encoding: 'utf8', timeout: 120_000 });
  const ok = r.status === 0;
  if (!ok) failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} out/main/${entry}${ok ? '' : `\n${(r.stderr || r.stdout).trim().split('\n').slice(0, 8).join('\n')}`}`);
}
process.exit(failed ? 1 : 0);
