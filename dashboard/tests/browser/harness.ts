// The real stack the browser tests run against: a Hardhat node with the subgraph's scripted
// history (ModelRepository and LoanDesk), the embedded indexer serving graph-node's API over it, the built dashboard, and a
// pass-through proxy in front of the API that the tests can take down and bring back.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdir } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { JsonRpcProvider } from 'ethers';
import { launchChromium } from '@hessian/test-kit/chromium';
import type { LocalChain } from '@hessian/contracts/local-chain';
import type { HistoryRecord } from '@hessian/test-kit/history';
import { startHistoryChain } from '@hessian/test-kit/history-chain';
import { deploymentTarget, retargetBuild } from '@hessian/subgraph/scripts/render-manifest';
import { startIndexer, type RunningIndexer } from '@hessian/indexer';
import { serveDashboard, type DashboardServer } from '../../serve.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const RESULTS_DIR = path.join(here, '..', '..', 'test-results');
// HESSIAN_SUBGRAPH_BUILD: a subgraph build elsewhere (e.g. one made from a clean checkout while the
// working tree's subgraph is being edited)
const SUBGRAPH_BUILD = process.env.HESSIAN_SUBGRAPH_BUILD || path.join(here, '..', '..', '..', 'subgraph', 'build');

export interface Proxy {
  /** the proxied GraphQL URL */
  url: string;
  /** refuse connections (and cut open ones) until up() */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

/** A plain HTTP pass-through on a port of its own, so "endpoint down" is a real refused connection. */
export async function startProxy(target: string): Promise<Proxy> {
  const t = new URL(target);
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const listen = async () => {
    const s = createServer((req, res) => {
      const upstream = request(
        { host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    s.on('connection', (sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const stop = async () => {
    const s = server;
    server = null;
    if (!s) return;
    for (const sock of sockets) sock.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return { url: `http://127.0.0.1:${port}${t.pathname}`, down: stop, up: listen, close: stop };
}

export interface Stack {
  chain: LocalChain;
  history: HistoryRecord;
  indexer: RunningIndexer;
  proxy: Proxy;
  dashboard: DashboardServer;
  /** the same app configured with the indexer's graphql-ws endpoint and a one-minute poll */
  dashboardWs: DashboardServer;
  browser: Browser;
  /** the indexer's own GraphQL URL (not through the proxy): the source of expected values */
  api: string;
  gql<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  waitForBlock(n: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };
  try {
    const { chain, record: history, subgraphDir, stop: stopChain } = await startHistoryChain({
      retarget: (deployment, outDir) => retargetBuild(SUBGRAPH_BUILD, deploymentTarget(deployment), outDir),
      tmpPrefix: 'hessian-dashboard-',
    });
    cleanups.push(stopChain);
    const indexer = await startIndexer({
      rpcUrl: chain.url,
      subgraph: subgraphDir,
      db: ':memory:',
      port: 0,
      subgraphName: 'hessian',
      pollIntervalMs: 200,
      logLevel: 'warn',
    });
    cleanups.push(() => indexer.stop());
    await indexer.ready;
    const api = indexer.url!;
    const proxy = await startProxy(api);
    cleanups.push(() => proxy.close());
    const dashboard = await serveDashboard({
      config: {
        endpoint: proxy.url,
        tokens: { [history.token]: { symbol: 'HSN', decimals: 18 } },
        ipfsGateway: 'https://ipfs.io',
        pollInterval: 500,
      },
    });
    cleanups.push(() => dashboard.close());
    const dashboardWs = await serveDashboard({
      config: {
        endpoint: api,
        wsEndpoint: api.replace(/^http/, 'ws'),
        tokens: { [history.token]: { symbol: 'HSN', decimals: 18 } },
        pollInterval: 60_000,
      },
    });
    cleanups.push(() => dashboardWs.close());
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    await mkdir(RESULTS_DIR, { recursive: true });

    const gql = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
      const res = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
      if (body.errors?.length || !body.data) throw new Error(`GraphQL: ${body.errors?.map((e) => e.message).join('; ') ?? 'no data'}`);
      return body.data;
    };
    const waitForBlock = async (n: number) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const d = await gql<{ _meta: { block: { number: number } } }>('{ _meta { block { number } } }');
        if (d._meta.block.number >= n) return;
        if (Date.now() > deadline) throw new Error(`indexer did not reach block ${n} (at ${d._meta.block.number})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await waitForBlock(history.lastBlock);
    return { chain, history, indexer, proxy, dashboard, dashboardWs, browser, api, gql, waitForBlock, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A page that fails the test on any uncaught error or console error. */
export async function openPage(stack: Stack, width = 1280, height = 900): Promise<{ page: Page; errors: string[] }> {
  const page = await stack.browser.newPage({ viewport: { width, height } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // the endpoint-down test causes refused connections on purpose
    if (m.type() === 'error' && !/ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE|Failed to load resource/.test(m.text())) {
      errors.push(`console: ${m.text()}`);
    }
  });
  return { page, errors };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(RESULTS_DIR, `${name}.png`), fullPage: true });
}

/** One stack and one error-watching page for a whole test file, and the lookups every test uses. */
export interface Session {
  readonly stack: Stack;
  readonly page: Page;
  readonly errors: string[];
  /** the first match's visible text, whitespace collapsed */
  text(selector: string): Promise<string>;
  /** opens a dashboard route and waits until `ready` shows */
  go(hash: string, ready: string): Promise<void>;
  /** raw base units and the shown text of the Amount inside `cell` */
  amountIn(cell: string): Promise<{ raw: string | null; text: string }>;
}

/** Registers the file's before/after hooks; the session's stack and page exist once `before` ran. */
export function useSession(): Session {
  let stack: Stack | undefined;
  let opened: { page: Page; errors: string[] } | undefined;
  before(async () => {
    stack = await startStack();
    opened = await openPage(stack);
  }, { timeout: 240_000 });
  after(async () => {
    await stack?.stop();
  });
  const session: Session = {
    get stack() {
      if (!stack) throw new Error('the stack is not started: use the session inside a test');
      return stack;
    },
    get page() {
      if (!opened) throw new Error('no page open: use the session inside a test');
      return opened.page;
    },
    get errors() {
      if (!opened) throw new Error('no page open: use the session inside a test');
      return opened.errors;
    },
    text: async (selector) => (await session.page.locator(selector).first().innerText()).replace(/\s+/g, ' ').trim(),
    go: async (hash, ready) => {
      await session.page.goto(`${session.stack.dashboard.url}${hash}`);
      await session.page.locator(ready).first().waitFor({ timeout: 15_000 });
    },
    amountIn: async (cell) => {
      const el = session.page.locator(`${cell} .amount`).first();
      return { raw: await el.getAttribute('data-raw'), text: (await el.innerText()).trim() };
    },
  };
  return session;
}

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** The serious and critical WCAG 2 A/AA violations axe-core finds on the page as it stands. */
export async function seriousViolations(page: Page): Promise<{ id: string; impact: string; help: string; nodes: string[] }[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(`
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } }).then((r) =>
      r.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })))
  `);
}

/**
 * Opens each page on a 390 px wide screen and fails if the page itself scrolls sideways (wide
 * tables scroll inside their own box), or on any page error; screenshots each as `<name>-narrow`.
 */
export async function assertFitsNarrowScreen(stack: Stack, pages: readonly (readonly [name: string, hash: string, ready: string])[]): Promise<void> {
  const narrow = await openPage(stack, 390, 844);
  try {
    for (const [name, hash, ready] of pages) {
      await narrow.page.goto(`${stack.dashboard.url}${hash}`);
      await narrow.page.locator(ready).first().waitFor({ timeout: 15_000 });
      await narrow.page.waitForTimeout(300);
      const overflow = await narrow.page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      assert.ok(overflow <= 0, `${name} overflows a 390 px screen by ${overflow} px`);
      await screenshot(narrow.page, `${name}-narrow`);
    }
    assert.deepEqual(narrow.errors, []);
  } finally {
    await narrow.page.close();
  }
}

/** One change the page made under <main>: where (closest test id, model row, field) and what kind. */
export interface Mutation {
  type: string;
  testid: string | null;
  model: string | null;
  field: string | null;
  /** inside a chart's drawing (uPlot's canvas and legend) */
  chart: boolean;
  node: string;
}

/** What a live page redrew while watched: DOM changes under <main>, and canvas clears per chart title. */
export interface Redraws {
  mutations: Mutation[];
  draws: Record<string, number>;
}

// In-page: records every DOM mutation under <main> and every canvas clear (uPlot clears before each
// draw), so a test can tell what a refetch really touched. Installed once per page, reset per watch.
const WATCH = `(() => {
  const w = window;
  if (!w.__redraws) {
    w.__redraws = { mutations: [], draws: {} };
    const clear = CanvasRenderingContext2D.prototype.clearRect;
    CanvasRenderingContext2D.prototype.clearRect = function (...args) {
      const title = this.canvas.closest('figure')?.querySelector('figcaption')?.textContent ?? '(canvas)';
      w.__redraws.draws[title] = (w.__redraws.draws[title] ?? 0) + 1;
      return clear.apply(this, args);
    };
    const attr = (el, name) => el?.closest('[' + name + ']')?.getAttribute(name) ?? null;
    new MutationObserver((records) => {
      for (const r of records) {
        const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
        w.__redraws.mutations.push({
          type: r.type === 'attributes' ? 'attribute ' + r.attributeName : r.type,
          testid: attr(el, 'data-testid'),
          model: attr(el, 'data-model'),
          field: attr(el, 'data-field'),
          chart: !!el?.closest('.chart-box'),
          node: el ? el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') : '?',
        });
      }
    }).observe(document.querySelector('main'), { subtree: true, childList: true, characterData: true, attributes: true });
  }
  w.__redraws.mutations = [];
  w.__redraws.draws = {};
})()`;

/** Starts (or restarts) recording what the page redraws. */
export async function watchRedraws(page: Page): Promise<void> {
  await page.evaluate(WATCH);
}

/** What the page redrew since `watchRedraws`. */
export async function takeRedraws(page: Page): Promise<Redraws> {
  return page.evaluate<Redraws>('structuredClone(window.__redraws)');
}

/**
 * Runs `act`, which makes the chain produce block(s) and returns the new head, and waits until the
 * page has received its live `operation` answer for that head and has rendered it.
 */
export async function settleAfter(page: Page, operation: string, act: () => Promise<number>): Promise<number> {
  let headKnown: (n: number) => void = () => {};
  const head = new Promise<number>((resolve) => (headKnown = resolve));
  const answered = page.waitForResponse(async (r) => {
    const body = r.request().postDataJSON() as { operationName?: string; variables?: { block?: unknown } } | null;
    if (body?.operationName !== operation || body.variables?.block !== undefined) return false;
    const data = (await r.json().catch(() => null)) as { data?: { _meta?: { block?: { number?: number } } } } | null;
    return (data?.data?._meta?.block?.number ?? 0) >= (await head);
  }, { timeout: 30_000 });
  let n: number;
  try {
    n = await act();
  } catch (e) {
    answered.catch(() => {}); // nothing will come: the page is left waiting until the test ends
    throw e;
  }
  headKnown(n);
  await answered;
  // the answer lands in a promise callback; Svelte and uPlot draw in the microtasks and frames after it
  await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 100))))');
  return n;
}

/** Mines one empty block, `advance` seconds after the last (Hardhat's evm_increaseTime), and returns its number. */
export async function mineEmptyBlock(stack: Stack, advance = 0): Promise<number> {
  const provider = new JsonRpcProvider(stack.chain.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  try {
    if (advance) await provider.send('evm_increaseTime', [advance]);
    await provider.send('evm_mine', []);
    return Number(await provider.send('eth_blockNumber', []));
  } finally {
    provider.destroy();
  }
}

/**
 * Opens `hash` and fails if one more block that changes nothing the page shows (an empty block a
 * second on) changes anything under <main> or redraws a chart. `chartsFollowHead`: the page's
 * charts run up to the viewed block's time, so they may redraw (their drawing is not counted).
 * Times on the page should read in hours or more (see mineEmptyBlock's `advance`), or the block's
 * second may rightly change them.
 */
export async function assertQuietBlock(session: Session, hash: string, ready: string, operation: string, chartsFollowHead = false): Promise<void> {
  const { stack, page } = session;
  await session.go(hash, ready);
  await settleAfter(page, operation, () => mineEmptyBlock(stack));
  await watchRedraws(page);
  await settleAfter(page, operation, () => mineEmptyBlock(stack));
  const seen = await takeRedraws(page);
  assert.deepEqual(seen.mutations.filter((m) => !(chartsFollowHead && m.chart)), [], `${hash}: an empty block changed the page`);
  if (!chartsFollowHead) assert.deepEqual(seen.draws, {}, `${hash}: an empty block redrew charts`);
}
