// The subgraph's deployment id as graph-node knows it: the IPFS hash `graph build --ipfs` and
// `graph deploy` print. graph-cli (compiler/index.js, uploadSubgraphToIPFS) adds the schema,
// every ABI and mapping of the data sources and templates to IPFS with the node's defaults,
// replaces each `file:` with `{ /: /ipfs/<cid> }`, dumps the manifest with js-yaml
// (`sortKeys`, `noRefs`) and adds that: its CID is the deployment id. Kubo's default `ipfs add`
// is CIDv0, dag-pb UnixFS, 256 KiB chunks, balanced DAG of 174 links (ipfs-unixfs-importer's
// `unixfs-v0-2015` profile). Nothing is uploaded: the blocks are hashed and dropped.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { importBytes } from 'ipfs-unixfs-importer';
import jsYaml from 'js-yaml';
import { parse } from 'yaml';

/** What kubo's `ipfs add` (CIDv0 defaults) names `bytes`. */
export async function ipfsAddCid(bytes: Uint8Array): Promise<string> {
  const entry = await importBytes(bytes, { put: async (cid) => cid }, { profile: 'unixfs-v0-2015' });
  return entry.cid.toString();
}

type Yaml = Record<string, unknown>;

const obj = (v: unknown): Yaml | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Yaml) : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * The deployment id of the built subgraph whose manifest is `manifestFile` (the `subgraph.yaml`
 * `graph build` wrote: its `file:` entries are relative to it, as graph-cli resolves them).
 */
export async function deploymentHash(manifestFile: string): Promise<string> {
  const dir = path.dirname(manifestFile);
  // graph-cli reads and writes manifests with the `yaml` package; its output parses back to the same object
  const manifest = parse(readFileSync(manifestFile, 'utf8')) as Yaml;
  const cids = new Map<string, Promise<string>>();
  const link = async (holder: Yaml | undefined) => {
    const file = holder?.file;
    if (!holder || typeof file !== 'string') return;
    const abs = path.resolve(dir, file);
    let cid = cids.get(abs);
    if (!cid) cids.set(abs, (cid = ipfsAddCid(readFileSync(abs))));
    holder.file = { '/': `/ipfs/${await cid}` };
  };
  await link(obj(manifest.schema));
  // graph-cli's order: schema, every data source's ABIs, their mappings, then templates
  const sources = list(manifest.dataSources).map(obj);
  for (const ds of sources) for (const abi of list(obj(ds?.mapping)?.abis)) await link(obj(abi));
  for (const ds of sources) await link(obj(ds?.mapping));
  for (const t of list(manifest.templates).map(obj)) {
    for (const abi of list(obj(t?.mapping)?.abis)) await link(obj(abi));
    await link(obj(t?.mapping));
  }
  const text = jsYaml.dump(manifest, { noRefs: true, sortKeys: true });
  return ipfsAddCid(new TextEncoder().encode(text));
}
