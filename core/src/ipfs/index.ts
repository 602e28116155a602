import { EmbeddedContentStore } from './embedded.ts';
import { KuboContentStore } from './kubo.ts';
import type { ContentStore } from './store.ts';

export * from './store.ts';
export { EmbeddedContentStore, kuboCompatibleImporterOptions, CHUNK_SIZE, MAX_LINKS } from './embedded.ts';
export { KuboContentStore } from './kubo.ts';

export interface ContentStoreConfig {
  /** Kubo RPC URL; when set (or IPFS_API is), Kubo is used instead of the embedded store */
  ipfsApi?: string;
  /** embedded blockstore directory (default: $HESSIAN_IPFS_DIR or ./.hessian/ipfs) */
  path?: string;
  timeoutMs?: number;
}

/** Kubo when `ipfsApi` or the IPFS_API environment variable is set, else the embedded store. */
export async function openContentStore(config: ContentStoreConfig = {}, env: NodeJS.ProcessEnv = process.env): Promise<ContentStore> {
  const api = config.ipfsApi ?? (env.IPFS_API && env.IPFS_API.trim() !== '' ? env.IPFS_API.trim() : undefined);
  if (api) return new KuboContentStore({ url: api, timeoutMs: config.timeoutMs });
  return EmbeddedContentStore.open(config.path ?? env.HESSIAN_IPFS_DIR ?? '.hessian/ipfs');
}
