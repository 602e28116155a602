// Bare JSON-RPC over fetch, with no other imports: the floor engine uses it, so its startup is
// only Node's own.
let nextId = 1;
export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }) });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

export async function rpcBatch(url: string, calls: { method: string; params: unknown[] }[]): Promise<unknown[]> {
  const payload = calls.map((c) => ({ jsonrpc: '2.0', id: nextId++, method: c.method, params: c.params }));
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
  const body = (await res.json()) as { id: number; result?: unknown; error?: { message: string } }[];
  if (!Array.isArray(body)) throw new Error(`batch answered with ${JSON.stringify(body).slice(0, 300)}`);
  const byId = new Map(body.map((b) => [b.id, b]));
  return payload.map((p, i) => {
    const b = byId.get(p.id);
    if (!b || b.error) throw new Error(`${calls[i]!.method}: ${b?.error?.message ?? 'no answer'}`);
    return b.result;
  });
}
