// The studio's first screen in web mode: it loads, connects to the engines, and web mode refuses
// requests without the token or from other origins.
import assert from 'node:assert/strict';
import path from 'node:path';

/** @type {[string, (ctx: { context: import('playwright-core').BrowserContext, url: string, results: string }) => Promise<void>][]} */
export const smokeTests = [
  [
    'opens the studio, shows the 17 AU sliders grouped by region, and connects to the engines',
    async ({ context, url, results }) => {
      const page = await context.newPage();
      await page.goto(url);
      await page.getByText('Open a portrait to begin').waitFor();
      assert.equal(await page.locator('.au-row input[type=range]').count(), 17);
      for (const region of ['Brows', 'Eyes', 'Nose', 'Mouth']) await page.getByRole('heading', { name: region }).waitFor();
      await page.getByText('Engines ready').waitFor({ timeout: 15_000 });
      assert.match(await page.locator('.statusbar').innerText(), /v\d+\.\d+\.\d+/);
      await page.screenshot({ path: path.join(results, 'studio-start.png') });
      await page.close();
    },
  ],
  [
    'web mode refuses requests without the token and from other origins',
    async ({ url }) => {
      // A plain client without the browser's cookie, as another program on the machine would be.
      const base = new URL(url);
      const api = `${base.origin}/api/app.info?${base.searchParams}`;
      const post = (target, body, headers = {}) => fetch(target, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
      assert.equal((await fetch(`${base.origin}/`)).status, 401);
      assert.equal((await post(`${base.origin}/api/app.info`, {})).status, 401);
      assert.equal((await post(api, {}, { Origin: 'http://evil.example' })).status, 403);
      assert.equal((await (await post(api, {})).json()).ok, true);
      assert.match((await (await post(api, { unexpected: 1 })).json()).error.message, /app\.info/);
    },
  ],
];
