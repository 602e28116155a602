// One plain eth_chainId request. Callers fix the network of their ethers provider with it, because
// a provider left to detect the network retries forever against a dead node.

/** The chain id of the JSON-RPC node at `url`; errors name the url and what went wrong. */
export async function fetchChainId(url: string, timeoutMs = 10_000): Promise<number> {
  let body: { result?: unknown; error?: { message?: string } };
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    body = (await res.json()) as typeof body;
  } catch (err) {
    throw new Error(`no JSON-RPC node answers at ${url}: ${(err as Error).cause ?? (err as Error).message}`);
  }
  if (typeof body.result !== 'string') throw new Error(`eth_chainId failed at ${url}: ${body.error?.message ?? JSON.stringify(body)}`);
  return Number(BigInt(body.result));
}
