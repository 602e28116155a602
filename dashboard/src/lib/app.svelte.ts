// App-wide state: the loaded config, the client, and the live view of the endpoint (head block,
// up/down/failed), kept fresh by polling `_meta`; pages refetch when `tick` moves.
import type { ApolloClient, DocumentNode, OperationVariables } from '@apollo/client';
import { blockVars, createClient, errorMessage, keepUnchanged, runQuery } from './client.ts';
import { tokenInfo, type DashboardConfig } from './config.ts';
import type { TokenInfo } from './format.ts';
import { fetchAllPages } from './paging.ts';
import { META } from './queries.ts';
import type { Meta } from './types.ts';

export type EndpointStatus = 'connecting' | 'ok' | 'down' | 'failed';

export const app = $state({
  config: null as DashboardConfig | null,
  status: 'connecting' as EndpointStatus,
  /** latest indexed block */
  head: null as number | null,
  headTimestamp: null as number | null,
  error: '',
  /** bumps when the head moves or the endpoint recovers: live queries refetch */
  tick: 0,
  /** bumps when the endpoint recovers: every query refetches, pinned ones too (they may have failed) */
  epoch: 0,
});

let client: ApolloClient | null = null;

export function getClient(): ApolloClient {
  if (!client) throw new Error('dashboard not started: no config loaded');
  return client;
}

let timer: ReturnType<typeof setTimeout> | undefined;

/** A new head seen (by poll or subscription): pages viewing live data refetch. */
function sawHead(meta: Meta): void {
  if (meta.block.number !== app.head) app.tick += 1;
  app.head = meta.block.number;
  if (meta.block.timestamp !== null && meta.block.timestamp !== undefined) app.headTimestamp = Number(meta.block.timestamp);
}

// The poll alone decides up/down/failed: a subscription socket can outlive a dead HTTP endpoint.
async function poll(): Promise<void> {
  const config = app.config!;
  try {
    const { data, indexingError } = await runQuery<{ _meta: Meta }>(getClient(), META, {});
    const failed = indexingError || data._meta.hasIndexingErrors === true;
    if (app.status === 'down') app.epoch += 1; // recovered: reload what failed meanwhile
    if (app.status !== 'ok' && app.status !== 'failed') app.tick += 1;
    sawHead(data._meta);
    app.status = failed ? 'failed' : 'ok';
    app.error = failed ? 'it hit an error while processing a block, so no newer data will appear until it is fixed' : '';
  } catch (e) {
    app.status = 'down';
    app.error = errorMessage(e);
  } finally {
    timer = setTimeout(poll, config.pollInterval);
  }
}

const HEADS = 'subscription Heads { _meta { block { number timestamp } hasIndexingErrors } }';

/**
 * With a graphql-ws endpoint, new heads arrive as pushed events instead of waiting for the next
 * poll. Loaded on demand so endpoints without subscriptions (graph-node) cost nothing.
 */
async function subscribeHeads(url: string): Promise<void> {
  const { createClient: createWsClient } = await import('graphql-ws');
  const ws = createWsClient({ url, retryAttempts: Number.MAX_SAFE_INTEGER, shouldRetry: () => true });
  ws.subscribe<{ _meta: Meta }>(
    { query: HEADS },
    {
      next: (result) => {
        if (result.data?._meta && app.status !== 'down') sawHead(result.data._meta);
      },
      // polling carries on regardless; a failed socket only loses the shortcut
      error: () => {},
      complete: () => {},
    },
  );
}

export function start(config: DashboardConfig): void {
  app.config = config;
  client = createClient(config.endpoint);
  clearTimeout(timer);
  void poll();
  if (config.wsEndpoint) void subscribeHeads(config.wsEndpoint).catch(() => {});
}

/** A token's symbol and decimals from the loaded config (before it loads: the built-in defaults). */
export function tokenOf(address: string): TokenInfo {
  return tokenInfo(app.config ?? { tokens: {} }, address);
}

/**
 * The chain time of the data on screen: the answer's block timestamp, else (live) the head's;
 * null when viewing a past block whose time the endpoint did not give.
 */
export function viewedTime(meta: { block: Pick<Meta['block'], 'timestamp'> } | null | undefined, block: number | null): number | null {
  const t = meta?.block.timestamp;
  if (t !== null && t !== undefined && Number.isFinite(Number(t))) return Number(t);
  return block === null ? (app.headTimestamp ?? Math.floor(Date.now() / 1000)) : null;
}

function runOnClient<T>(query: DocumentNode, variables: OperationVariables) {
  return runQuery<T>(getClient(), query, variables);
}

export interface QueryState<T> {
  readonly data: T | undefined;
  readonly error: string;
}

// Answers are replaced whole, never mutated, so they are held raw: deep-proxying up to thousands of
// rows again on every head move bought nothing.
class Query<T> implements QueryState<T> {
  data = $state.raw<T | undefined>(undefined);
  error = $state('');
}

/**
 * Runs `query` whenever its variables change, and on every head move while viewing live data
 * (a pinned block never changes); its `@paged` lists are fetched whole (paging.ts). Keeps the previous data while reloading so pages do not flash,
 * and shares with it every part the new answer did not change (keepUnchanged, at any depth), so
 * a page that derives each value from the field it reads (never from the whole answer, whose
 * `_meta` is new with every block) recomputes and redraws only what the block changed.
 */
export function liveQuery<T>(query: DocumentNode, args: () => { vars: OperationVariables; block: number | null }): QueryState<T> {
  const state = new Query<T>();
  let lastKey = '';
  // the view (vars + block) the data on screen belongs to
  let shownView = '';
  $effect(() => {
    const { vars, block } = args();
    const tick = block === null ? app.tick : 0;
    void app.epoch;
    void tick;
    // a new page (other vars) clears; a new block keeps the old numbers until the new ones land
    const key = JSON.stringify(vars);
    const view = JSON.stringify([vars, block]);
    if (key !== lastKey) {
      state.data = undefined;
      lastKey = key;
    }
    let cancelled = false;
    fetchAllPages<T>(runOnClient, query, { ...vars, ...blockVars(block) }).then(
      ({ data }) => {
        if (cancelled) return;
        state.data = keepUnchanged(state.data, data);
        shownView = view;
        state.error = '';
      },
      (e: unknown) => {
        if (cancelled) return;
        // stale numbers of this same view may stay; another block's numbers must not
        if (shownView !== view) state.data = undefined;
        state.error = errorMessage(e);
      },
    );
    return () => {
      cancelled = true;
    };
  });
  return state;
}
