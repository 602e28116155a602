// Renders subgraph.yaml from subgraph.template.yaml and a contract deployment file, so the
// networks, addresses and start blocks are never hand-edited, and writes the ABIs graph-cli reads.
// Two data sources: ModelRepository (training) and LoanDesk (model deployment).
//   node scripts/render-manifest.ts [--deployment FILE] [--network NAME] [--out FILE]
// Env: HESSIAN_DEPLOYMENT (same as --deployment), GRAPH_NETWORK (same as --network). With no flag, no env and no
// contracts/deployments/localhost.json, it renders a placeholder (address 0x0…0, start block 0):
// enough for `graph build` and the mapping tests, which feed logs regardless of the address.
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { loanDeskAbi, modelRepositoryAbi, readDeployment, ETH, type Deployment } from '@hessian/contracts';

const subgraphDir = path.dirname(import.meta.dirname);
const defaultDeployment = path.join(subgraphDir, '..', 'contracts', 'deployments', 'localhost.json');

export interface RenderOptions {
  /** deployment file; undefined = default file, or the placeholder when it does not exist */
  deployment?: string;
  /** graph-node network name; default: the deployment's "network" ("localhost" for the placeholder) */
  network?: string;
  /** where to write the manifest (default subgraph/subgraph.yaml) */
  out?: string;
}

export interface ContractTarget {
  address: string;
  startBlock: number;
}

export interface RenderedManifest {
  file: string;
  network: string;
  /** ModelRepository's address (lowercase) */
  address: string;
  startBlock: number;
  /** the LoanDesk data source's target; null when the deployment file has none (the data source is left out) */
  loanDesk: ContractTarget | null;
  placeholder: boolean;
}

/** The template's data sources by name: one per contract. */
const REPOSITORY_SOURCE = 'ModelRepository';
const LOAN_DESK_SOURCE = 'LoanDesk';

type ManifestDoc = ReturnType<typeof parseDocument>;

function dataSourceNames(doc: ManifestDoc): string[] {
  const sources = doc.get('dataSources', true) as { items: unknown[] } | undefined;
  return (sources?.items ?? []).map((_, i) => String(doc.getIn(['dataSources', i, 'name'])));
}

function dataSourceIndex(doc: ManifestDoc, name: string, where: string): number {
  const i = dataSourceNames(doc).indexOf(name);
  if (i < 0) throw new Error(`${where}: no data source named ${name} (found: ${dataSourceNames(doc).join(', ') || 'none'})`);
  return i;
}

function pointAt(doc: ManifestDoc, i: number, target: ContractTarget, network: string | undefined): void {
  doc.setIn(['dataSources', i, 'source', 'address'], target.address.toLowerCase());
  doc.setIn(['dataSources', i, 'source', 'startBlock'], target.startBlock);
  if (network !== undefined) doc.setIn(['dataSources', i, 'network'], network);
}

/** Points the repository's data source at `target`, and the loan desk's too, or drops it when `target` has no desk. */
function pointDataSources(doc: ManifestDoc, target: RetargetOptions, where: string): void {
  pointAt(doc, dataSourceIndex(doc, REPOSITORY_SOURCE, where), target, target.network);
  const hasDesk = dataSourceNames(doc).includes(LOAN_DESK_SOURCE);
  if (target.loanDesk) {
    if (!hasDesk) throw new Error(`${where} has no ${LOAN_DESK_SOURCE} data source (rendered from a deployment without LoanDesk?): rebuild with the placeholder or a deployment that has one`);
    pointAt(doc, dataSourceIndex(doc, LOAN_DESK_SOURCE, where), target.loanDesk, target.network);
  } else if (hasDesk) {
    doc.deleteIn(['dataSources', dataSourceIndex(doc, LOAN_DESK_SOURCE, where)]);
  }
}

export async function renderManifest(opts: RenderOptions = {}): Promise<RenderedManifest> {
  const explicit = opts.deployment !== undefined;
  const file = opts.deployment ?? defaultDeployment;
  const placeholder = !explicit && !existsSync(file);
  // the placeholder keeps both data sources, so `graph build` compiles both mappings
  const none = { address: ETH, startBlock: 0 };
  const target = placeholder ? { ...none, network: 'localhost', loanDesk: none } : deploymentTarget(await readDeployment(path.resolve(file)));
  const network = opts.network ?? target.network;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(network)) {
    throw new Error(`network name ${JSON.stringify(network)} is not a graph-node network name (lowercase letters, digits, dashes)`);
  }

  const template = path.join(subgraphDir, 'subgraph.template.yaml');
  const doc = parseDocument(await readFile(template, 'utf8'));
  const names = dataSourceNames(doc);
  if (names.length !== 2) throw new Error(`subgraph.template.yaml: expected the data sources ${REPOSITORY_SOURCE} and ${LOAN_DESK_SOURCE}, found: ${names.join(', ') || 'none'}`);
  pointDataSources(doc, { ...target, network }, template);

  // graph-node wants a bare ABI array; the contracts package exports {contractName, abi, bytecode}
  await mkdir(path.join(subgraphDir, 'abis'), { recursive: true });
  await writeFile(path.join(subgraphDir, 'abis', 'ModelRepository.json'), `${JSON.stringify(modelRepositoryAbi, null, 2)}\n`);
  await writeFile(path.join(subgraphDir, 'abis', 'LoanDesk.json'), `${JSON.stringify(loanDeskAbi, null, 2)}\n`);

  const out = opts.out ?? path.join(subgraphDir, 'subgraph.yaml');
  const header = `# GENERATED by scripts/render-manifest.ts from subgraph.template.yaml (${placeholder ? 'placeholder address' : file}); do not edit.\n`;
  await writeFile(out, header + doc.toString({ lineWidth: 0 }));
  const desk = target.loanDesk;
  return {
    file: out,
    network,
    address: target.address.toLowerCase(),
    startBlock: target.startBlock,
    loanDesk: desk ? { address: desk.address.toLowerCase(), startBlock: desk.startBlock } : null,
    placeholder,
  };
}

export interface RetargetOptions extends ContractTarget {
  /** ModelRepository's address and startBlock are the top-level fields (as before LoanDesk) */
  network?: string;
  /**
   * Where LoanDesk lives (`deployment.contracts.LoanDesk`). Left out, the copy drops the LoanDesk
   * data source: its events are not indexed, and the ModelRepository data source alone decides
   * where indexing starts.
   */
  loanDesk?: ContractTarget | null;
}

/** Retarget options for every contract a deployment file names (both data sources when it has a LoanDesk). */
export function deploymentTarget(deployment: Deployment, network = deployment.network): RetargetOptions & { network: string } {
  const { ModelRepository: repo, LoanDesk: desk } = deployment.contracts;
  return { address: repo.address, startBlock: repo.startBlock, network, loanDesk: desk ? { address: desk.address, startBlock: desk.startBlock } : null };
}

/**
 * Copies a built subgraph (`graph build` output) to `outDir` pointed at another deployment. The
 * compiled WASM does not depend on the address, so tests can index a fresh chain without a
 * second `graph build`.
 */
export async function retargetBuild(buildDir: string, target: RetargetOptions, outDir: string): Promise<string> {
  const manifestFile = path.join(buildDir, 'subgraph.yaml');
  if (!existsSync(manifestFile)) throw new Error(`${manifestFile} not found: run \`npm run build -w @hessian/subgraph\` first`);
  const doc = parseDocument(await readFile(manifestFile, 'utf8'));
  pointDataSources(doc, target, manifestFile);
  await cp(buildDir, outDir, { recursive: true });
  await writeFile(path.join(outDir, 'subgraph.yaml'), doc.toString({ lineWidth: 0 }));
  return outDir;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      deployment: { type: 'string' },
      network: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const deployment = values.deployment ?? (process.env.HESSIAN_DEPLOYMENT || undefined);
  try {
    const network = values.network ?? (process.env.GRAPH_NETWORK || undefined);
    const r = await renderManifest({ deployment, network, out: values.out });
    const desk = r.loanDesk ? `LoanDesk ${r.loanDesk.address} from block ${r.loanDesk.startBlock}` : 'no LoanDesk in the deployment file (its data source is left out)';
    const where = r.placeholder ? 'placeholder addresses (no deployment file; fine for build and mapping tests)' : `ModelRepository ${r.address} from block ${r.startBlock}, ${desk}`;
    console.error(`subgraph.yaml: network ${r.network}, ${where}`);
  } catch (err) {
    console.error(`render-manifest: ${(err as Error).message}`);
    process.exit(1);
  }
}
