// The one GraphQL client. Results bypass Apollo's normalized cache ('no-cache'): time travel asks
// for the same entity ids at different blocks, and a normalized cache would merge those versions.
import { ApolloClient, HttpLink, InMemoryCache, type DocumentNode, type OperationVariables } from '@apollo/client';

export function createClient(endpoint: string): ApolloClient {
  return new ApolloClient({
    link: new HttpLink({ uri: endpoint }),
    cache: new InMemoryCache(),
  });
}

/** graph-node's Block_height argument, omitted entirely for "latest". */
export function blockVars(block: number | null): OperationVariables {
  return block === null ? {} : { block: { number: block } };
}

export interface Answer<T> {
  data: T;
  /** graph-node answered from a subgraph that has failed: the data stops at the failed block */
  indexingError: boolean;
}

const INDEXING_ERROR = 'indexing_error';

/**
 * One query. graph-node reports a failed subgraph as an `indexing_error` next to still-valid
 * data: that is returned (flagged), not thrown. Any other GraphQL error, or no data, throws.
 */
export async function runQuery<T>(client: ApolloClient, query: DocumentNode, variables: OperationVariables): Promise<Answer<T>> {
  const result = await client.query<T>({ query, variables, fetchPolicy: 'no-cache', errorPolicy: 'all' });
  const messages = graphqlMessages(result.error);
  const other = messages.filter((m) => m !== INDEXING_ERROR);
  if (result.error && (other.length || !messages.length)) throw result.error;
  if (result.data === undefined || result.data === null) throw new Error(messages.length ? messages.join('; ') : 'the endpoint returned no data');
  return { data: result.data as T, indexingError: messages.includes(INDEXING_ERROR) };
}

function graphqlMessages(error: unknown): string[] {
  const errs = (error as { errors?: { message: string }[] } | undefined)?.errors;
  return Array.isArray(errs) ? errs.map((e) => e.message) : [];
}

/** A short, human message for a failed request (network down, HTTP status, GraphQL errors). */
export function errorMessage(e: unknown): string {
  const err = e as { message?: string; errors?: { message: string }[]; statusCode?: number };
  if (Array.isArray(err?.errors) && err.errors.length) return err.errors.map((x) => x.message).join('; ');
  if (typeof err?.statusCode === 'number') return `HTTP ${err.statusCode}`;
  const m = err?.message ?? String(e);
  return /failed to fetch|networkerror|load failed/i.test(m) ? 'cannot reach the endpoint' : m;
}

/**
 * `next`, sharing with `previous` every part (at any depth) that did not change: an unchanged
 * object or list is `previous`'s own, a changed list keeps its unchanged rows (matched by `id`, so
 * a new row in front does not make the others look new). The result always equals `next`; only
 * identities are kept, so that pages recompute and redraw just what a refetch changed.
 */
export function keepUnchanged<T>(previous: T | undefined, next: T): T {
  return share(previous, next) as T;
}

function share(previous: unknown, next: unknown): unknown {
  if (previous === next) return previous;
  if (Array.isArray(previous) && Array.isArray(next)) return shareList(previous, next);
  if (isRecord(previous) && isRecord(next)) return shareRecord(previous, next);
  return next;
}

// Both walks allocate only once something differs, and a list looks rows up by id only once a
// row is not where it was: this runs on every answer of every live page.
function shareRecord(previous: Record<string, unknown>, next: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  let same = true;
  let keys = 0;
  for (const k in next) {
    keys++;
    const v = next[k];
    const had = Object.hasOwn(previous, k);
    const kept = had ? share(previous[k], v) : v;
    if (!had || kept !== previous[k]) same = false;
    if (kept !== v) (out ??= { ...next })[k] = kept;
  }
  if (same) {
    for (const _ in previous) keys--;
    if (keys === 0) return previous;
  }
  return out ?? next;
}

function shareList(previous: unknown[], next: unknown[]): unknown[] {
  let byId: Map<unknown, unknown> | undefined;
  let out: unknown[] | undefined;
  let same = previous.length === next.length;
  for (let i = 0; i < next.length; i++) {
    const row = next[i];
    let match = previous[i];
    if (isRecord(row) && 'id' in row && !(isRecord(match) && match.id === row.id)) {
      if (!byId) {
        byId = new Map();
        for (const r of previous) if (isRecord(r) && 'id' in r) byId.set(r.id, r);
      }
      match = byId.get(row.id);
    }
    const kept = match === undefined ? row : share(match, row);
    if (kept !== previous[i]) same = false;
    if (kept !== row) (out ??= next.slice())[i] = kept;
  }
  return same ? previous : (out ?? next);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
