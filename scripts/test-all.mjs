// The README's test command: lint, type checks, the Electron build (e2e serves it), the
// electronegativity security check, unit tests and
// (when present) end-to-end tests, each shown live; ends with one plain line
// `N passed, N failed, N skipped`. Each check step counts as one test, each vitest test as one.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const counts = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

function step(name, command, args) {
  console.log(`\n=== ${name}: ${command} ${args.join(' ')}`);
  const run = spawnSync(command, args, { stdio: 'inherit', shell: process.platform === 'win32' });
  const ok = run.status === 0;
  counts[ok ? 'passed' : 'failed'] += 1;
  if (!ok) failures.push(name);
  return ok;
}

/** Runs a test command that writes vitest-style JSON results, and adds its per-test counts. */
function testsWithReport(name, command, args, reportFile) {
  fs.rmSync(reportFile, { force: true });
  console.log(`\n=== ${name}: ${command} ${args.join(' ')}`);
  const run = spawnSync(command, args, { stdio: 'inherit', shell: process.platform === 'win32' });
  let report;
  try {
    report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
  } catch {
    report = null;
  }
  if (!report) {
    counts.failed += 1;
    failures.push(`${name} (no report; exit ${run.status})`);
    return;
  }
  counts.passed += report.numPassedTests ?? 0;
  counts.failed += report.numFailedTests ?? 0;
  counts.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  if ((report.numFailedTests ?? 0) > 0) failures.push(`${name}: ${report.numFailedTests} failed`);
  if (run.status !== 0 && (report.numFailedTests ?? 0) === 0) {
    counts.failed += 1;
    failures.push(`${name} (exit ${run.status}: a suite failed to load or run)`);
  }
}

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-tests-'));

step('lint', npx, ['eslint', '.']);
step('typecheck (node)', npx, ['tsc', '-p', 'tsconfig.node.json', '--noEmit']);
step('typecheck (renderer)', npx, ['svelte-check', '--tsconfig', './tsconfig.web.json', '--fail-on-warnings']);
step('build (electron-vite)', npx, ['electron-vite', 'build']);
step('bundle loads (worker entries in plain Node)', process.execPath, ['scripts/check-bundle.mjs']);
step('security (electronegativity)', process.execPath, ['scripts/security-check.mjs']);
testsWithReport('unit tests', npx, ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${path.join(tmp, 'vitest.json')}`], path.join(tmp, 'vitest.json'));
if (fs.existsSync('e2e/run.mjs')) testsWithReport('e2e tests', process.execPath, ['e2e/run.mjs', `--report=${path.join(tmp, 'e2e.json')}`], path.join(tmp, 'e2e.json'));

fs.rmSync(tmp, { recursive: true, force: true });
if (failures.length) console.log(`\nFailed: ${failures.join('; ')}`);
console.log(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
process.exit(counts.failed > 0 ? 1 : 0);
