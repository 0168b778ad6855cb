// studio:// serves the built renderer's files with the CSP, and nothing outside that folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../shared/csp';
import { APP_ORIGIN, appFileFor, appResponse } from './app-protocol';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-protocol-'));
const renderer = path.join(base, 'renderer');
fs.mkdirSync(path.join(renderer, 'assets'), { recursive: true });
fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>studio</title>');
fs.writeFileSync(path.join(renderer, 'assets', 'app.js'), 'export {};');
fs.writeFileSync(path.join(base, 'secret.txt'), 'not for the page');
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('studio:// protocol', () => {
  it('serves the page and its assets with their types and the CSP', async () => {
    for (const [url, type] of [[`${APP_ORIGIN}/`, 'text/html'], [`${APP_ORIGIN}/index.html`, 'text/html'], [`${APP_ORIGIN}/assets/app.js`, 'text/javascript']]) {
      const res = appResponse(url, renderer);
      expect(res.status).toBe(200);
      expect(res.headers.get('Content-Type')).toContain(type);
      expect(res.headers.get('Content-Security-Policy')).toBe(CONTENT_SECURITY_POLICY);
    }
    expect(await appResponse(`${APP_ORIGIN}/assets/app.js`, renderer).text()).toBe('export {};');
  });

  it('answers 404 for anything outside the renderer folder, other hosts, folders and missing files', () => {
    for (const url of [
      `${APP_ORIGIN}/../secret.txt`,
      `${APP_ORIGIN}/%2e%2e/secret.txt`,
      `${APP_ORIGIN}/assets/%2e%2e%2f%2e%2e%2fsecret.txt`,
      `${APP_ORIGIN}/%E0%A4%A`,
      'studio://other/index.html',
      'file:///etc/passwd',
      `${APP_ORIGIN}/assets`,
      `${APP_ORIGIN}/missing.js`,
    ]) {
      expect(appFileFor(url, renderer), url).toBeNull();
      expect(appResponse(url, renderer).status).toBe(404);
    }
  });
});
