// App-wide state: the loaded config, the client, and the live view of the endpoint (head block,
// up/down/failed), kept fresh by polling `_meta`; pages refetch when `tick` moves.
import type { ApolloClient, DocumentNode, OperationVariables } from '@apollo/client';
import { blockVars, createClient, errorMessage, runQuery } from './client.ts';
import type { DashboardConfig } from './config.ts';
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
});

let client: ApolloClient | null = null;

export function getClient(): ApolloClient {
  if (!client) throw new Error('dashboard not started: no config loaded');
  return client;
}

let timer: ReturnType<typeof setTimeout> | undefined;

async function poll(): Promise<void> {
  const config = app.config!;
  try {
    const { data, indexingError } = await runQuery<{ _meta: Meta }>(getClient(), META, {});
    const meta = data._meta;
    const failed = indexingError || meta.hasIndexingErrors === true;
    const wasUp = app.status === 'ok' || app.status === 'failed';
    if (meta.block.number !== app.head || !wasUp) app.tick += 1;
    app.head = meta.block.number;
    app.headTimestamp = meta.block.timestamp ?? null;
    app.status = failed ? 'failed' : 'ok';
    app.error = failed ? 'it hit an error while processing a block, so no newer data will appear until it is fixed' : '';
  } catch (e) {
    app.status = 'down';
    app.error = errorMessage(e);
  } finally {
    timer = setTimeout(poll, config.pollInterval);
  }
}

export function start(config: DashboardConfig): void {
  app.config = config;
  client = createClient(config.endpoint);
  clearTimeout(timer);
  void poll();
}

export interface QueryState<T> {
  data: T | undefined;
  error: string;
  loading: boolean;
}

/**
 * Runs `query` whenever its variables change, and on every head move while viewing live data
 * (a pinned block never changes). Keeps the previous data while reloading so pages do not flash.
 */
export function liveQuery<T>(query: DocumentNode, args: () => { vars: OperationVariables; block: number | null }): QueryState<T> {
  const state = $state<QueryState<T>>({ data: undefined, error: '', loading: true });
  let lastKey = '';
  $effect(() => {
    const { vars, block } = args();
    const tick = block === null ? app.tick : 0;
    // a new page (other vars) clears; a new block keeps the old numbers until the new ones land
    const key = JSON.stringify(vars);
    if (key !== lastKey) {
      state.data = undefined;
      lastKey = key;
    }
    void tick;
    let cancelled = false;
    state.loading = true;
    runQuery<T>(getClient(), query, { ...vars, ...blockVars(block) }).then(
      ({ data }) => {
        if (cancelled) return;
        state.data = data;
        state.error = '';
        state.loading = false;
      },
      (e: unknown) => {
        if (cancelled) return;
        state.error = errorMessage(e);
        state.loading = false;
      },
    );
    return () => {
      cancelled = true;
    };
  });
  return state;
}
