export async function runPonder(_o: { dir: string; rpcUrls: string[]; address: string; startBlock: number; chainId: number; gradients: number; timeoutMs: number }): Promise<{ version: string; ms: number; maxRss: number }> {
  throw new Error('not yet');
}
