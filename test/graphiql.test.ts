// The indexer's GraphiQL page in real Chromium: it must load and run a query with every request
// going to the indexer's own origin (no CDN: the page works offline and loads no third-party code).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchChromium } from '@hessian/test-kit/chromium';
import { openDatabase, parseSchema, EntityStore, createGraphqlServer, type GraphqlServer } from '@hessian/indexer';

let server: GraphqlServer;
let browser: Browser;
before(async () => {
  const store = new EntityStore(openDatabase(':memory:'), parseSchema('type Note @entity { id: ID! text: String! }'));
  const h = (n: number) => '0x' + n.toString(16).padStart(64, '0');
  store.applyBlock({ number: 7, hash: h(7), parentHash: h(6), timestamp: 1_700_000_000 }, [
    { entityType: 'Note', id: 'n1', data: { id: { kind: 'String', value: 'n1' }, text: { kind: 'String', value: 'served offline' } } },
  ]);
  server = await createGraphqlServer({ store, schema: parseSchema('type Note @entity { id: ID! text: String! }'), subgraphName: 'hessian' });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

for (const [name, path] of [
  ['graph-node`s GraphiQL path', '/subgraphs/name/hessian/graphql'],
  ['a browser`s GET of the endpoint', '/subgraphs/name/hessian'],
] as const) {
  test(`${name} serves a working GraphiQL from the indexer's own origin`, async () => {
    const page = await browser.newPage();
    const foreign: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(server.origin) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      const res = await page.goto(server.origin + path);
      assert.equal(res?.status(), 200);
      assert.match(res?.headers()['content-security-policy'] ?? '', /default-src 'self'/);
      const editor = page.locator('.graphiql-query-editor .CodeMirror');
      await editor.waitFor({ timeout: 30_000 });
      // replace the default query through CodeMirror's own API, then run it with the toolbar button
      // (browser-side code as strings: this package's TypeScript has no DOM types)
      await page.evaluate(`document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue('{ notes { id text } _meta { block { number } } }')`);
      await page.locator('.graphiql-execute-button').click();
      const response = page.locator('.graphiql-response .CodeMirror');
      await page.waitForFunction(`document.querySelector('.graphiql-response')?.textContent?.includes('served offline')`, undefined, { timeout: 30_000 });
      const text = (await response.textContent()) ?? '';
      assert.match(text, /"number": 7/);
      assert.deepEqual(foreign, [], 'every request stays on the indexer origin');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
}
