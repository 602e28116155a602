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

export async function runQuery<T>(client: ApolloClient, query: DocumentNode, variables: OperationVariables): Promise<T> {
  const result = await client.query<T>({ query, variables, fetchPolicy: 'no-cache' });
  if (result.data === undefined) throw new Error('the endpoint returned no data');
  return result.data as T;
}

/** A short, human message for a failed request (network down, HTTP status, GraphQL errors). */
export function errorMessage(e: unknown): string {
  const err = e as { message?: string; errors?: { message: string }[]; statusCode?: number };
  if (Array.isArray(err?.errors) && err.errors.length) return err.errors.map((x) => x.message).join('; ');
  if (typeof err?.statusCode === 'number') return `HTTP ${err.statusCode}`;
  const m = err?.message ?? String(e);
  return /failed to fetch|networkerror|load failed/i.test(m) ? 'cannot reach the endpoint' : m;
}
