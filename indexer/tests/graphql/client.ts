// Minimal GraphQL-over-HTTP client for the tests: the raw JSON body, as a user's script sees it.
export interface GqlResponse {
  status: number;
  body: { data?: unknown; errors?: { message: string; locations?: unknown }[] };
}

export async function post(url: string, query: string, variables?: Record<string, unknown>): Promise<GqlResponse> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, ...(variables ? { variables } : {}) }),
  });
  return { status: res.status, body: (await res.json()) as GqlResponse['body'] };
}

/** The `data` of a successful response; fails the test with the errors otherwise. */
export async function data(url: string, query: string, variables?: Record<string, unknown>): Promise<unknown> {
  const r = await post(url, query, variables);
  if (r.body.errors) throw new Error(`unexpected errors: ${JSON.stringify(r.body.errors)}`);
  return r.body.data;
}

/** The error messages of a failed response. */
export async function errors(url: string, query: string, variables?: Record<string, unknown>): Promise<string[]> {
  const r = await post(url, query, variables);
  if (!r.body.errors) throw new Error(`expected errors, got ${JSON.stringify(r.body)}`);
  return r.body.errors.map((e) => e.message);
}
