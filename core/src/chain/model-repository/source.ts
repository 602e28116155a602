// Where a daemon's picture of models and gradients comes from: the chain's logs (always
// available, exact) or an indexer's graph-node GraphQL API (when one runs: a late-joining owner
// does not rescan every log). Either way the daemon reads a RepositoryView.
import type { ModelRepositoryClient } from './client.ts';
import { LogWatcher } from '../watch.ts';
import { decodeLog } from './events.ts';
import { RepositoryView } from './view.ts';
import type { IndexerGradientsQuery, IndexerHeadQuery, IndexerModelsQuery } from './source.generated.ts';

export interface ViewSource {
  readonly view: RepositoryView;
  /** brings the view up to date */
  refresh(): Promise<void>;
  readonly kind: 'chain' | 'indexer';
}

export function chainSource(client: ModelRepositoryClient): ViewSource {
  const watcher = new LogWatcher({
    provider: client.provider,
    address: client.config.address,
    fromBlock: client.config.startBlock,
    confirmations: client.config.confirmations,
    decode: decodeLog,
  });
  const view = new RepositoryView();
  return {
    kind: 'chain',
    view,
    async refresh() {
      view.applyAll(await watcher.poll());
    },
  };
}

export interface IndexerSourceOptions {
  /** the subgraph's GraphQL endpoint, e.g. http://127.0.0.1:8000/subgraphs/name/hessian */
  url: string;
  /** gradients of this account are read (an owner needs its own, not everyone's) */
  contributor?: string;
  /** page size */
  pageSize?: number;
  timeoutMs?: number;
}

// the answers' shapes, generated from the documents below (npm run build -w @hessian/core)
type GqlModel = IndexerModelsQuery['models'][number];
type GqlGradient = IndexerGradientsQuery['gradients'][number];

// every page of one refresh is read at the same block: pages read at the indexer's moving head
// could mix states (a gradient already evaluated on its page, its model not yet on the earlier one)
export const HEAD = `query IndexerHead { _meta { block { number } } }`;

export const MODELS = `query IndexerModels($after: BigInt!, $first: Int!, $block: Int!) {
  models(first: $first, orderBy: modelId, orderDirection: asc, where: { modelId_gt: $after }, block: { number: $block }) {
    modelId lender { id } evaluator token { id isNative } rule status initialScore targetScore bestScore
    bounty paid submissionDeadline evaluationWindow submissionStake metadataCid weightsCid version
  }
}`;

export const GRADIENTS = `query IndexerGradients($after: BigInt!, $first: Int!, $block: Int!, $contributor: String!) {
  gradients(first: $first, orderBy: gradientId, orderDirection: asc, where: { gradientId_gt: $after, contributor: $contributor }, block: { number: $block }) {
    gradientId model { modelId } contributor { id } seal modelVersion stake revealDeadline status
    cid dataCommitment salt dpEpsilon evaluationDeadline revealTransactionHash
    score reward stakeRefunded transactionHash evaluation { transactionHash verdict }
  }
}`;

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

/** reads models (and one account's gradients) from a graph-node compatible GraphQL API */
export function indexerSource(opts: IndexerSourceOptions): ViewSource {
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    throw new Error(`invalid indexer GraphQL URL "${opts.url}"`);
  }
  const first = opts.pageSize ?? 500;
  const source: { view: RepositoryView } = { view: new RepositoryView() };

  async function query<T>(q: string, variables: Record<string, unknown> = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: q, variables }),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
      });
    } catch (err) {
      throw new Error(`indexer GraphQL at ${opts.url} unreachable: ${(err as Error).message}`);
    }
    let body: { data?: T; errors?: { message: string }[] };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new Error(`indexer GraphQL at ${opts.url} answered HTTP ${res.status} without JSON`);
    }
    if (body.errors?.length) throw new Error(`indexer GraphQL error: ${body.errors.map((e) => e.message).join('; ')}`);
    if (!body.data) throw new Error(`indexer GraphQL at ${opts.url}: no data (HTTP ${res.status})`);
    return body.data;
  }

  async function all<T>(q: string, key: string, cursor: (row: T) => string, vars: Record<string, unknown> = {}): Promise<T[]> {
    const out: T[] = [];
    let after = '0';
    for (;;) {
      const page = (await query<Record<string, T[]>>(q, { ...vars, after, first }))[key] ?? [];
      out.push(...page);
      if (page.length < first) return out;
      after = cursor(page.at(-1)!);
    }
  }

  return {
    kind: 'indexer',
    get view() {
      return source.view;
    },
    async refresh() {
      const head = (await query<IndexerHeadQuery>(HEAD))._meta?.block.number;
      if (head === undefined) throw new Error(`indexer GraphQL at ${opts.url}: _meta names no indexed block`);
      const models = await all<GqlModel>(MODELS, 'models', (m) => m.modelId, { block: head });
      const gradients = opts.contributor
        ? await all<GqlGradient>(GRADIENTS, 'gradients', (g) => g.gradientId, { block: head, contributor: opts.contributor.toLowerCase() })
        : [];
      // a fresh view each time: the indexer's answer is the whole truth at that block
      const view = new RepositoryView();
      for (const m of models) {
        view.models.set(Number(m.modelId), {
          modelId: Number(m.modelId),
          lender: m.lender.id,
          evaluator: m.evaluator,
          token: m.token.isNative ? ZERO_ADDRESS : m.token.id,
          bounty: BigInt(m.bounty),
          rule: m.rule,
          initialScore: Number(m.initialScore),
          targetScore: Number(m.targetScore),
          bestScore: Number(m.bestScore),
          submissionDeadline: Number(m.submissionDeadline),
          evaluationWindow: Number(m.evaluationWindow),
          submissionStake: BigInt(m.submissionStake),
          metadataCid: m.metadataCid,
          weightsCid: m.weightsCid,
          version: m.version,
          status: m.status,
          paid: BigInt(m.paid),
          gradientIds: [],
        });
      }
      for (const g of gradients) {
        const id = Number(g.gradientId);
        const modelId = Number(g.model.modelId);
        view.gradients.set(id, {
          gradientId: id,
          modelId,
          contributor: g.contributor.id,
          seal: g.seal,
          modelVersion: g.modelVersion,
          stake: BigInt(g.stake),
          revealDeadline: Number(g.revealDeadline),
          status: g.status,
          ...(g.cid !== null
            ? {
                gradientCid: g.cid,
                dataCommitment: g.dataCommitment!,
                salt: g.salt!,
                dpEpsilon: Number(g.dpEpsilon),
                evaluationDeadline: Number(g.evaluationDeadline),
                revealedTx: g.revealTransactionHash!,
              }
            : {}),
          ...(g.evaluation ? { verdict: g.evaluation.verdict, evaluatedTx: g.evaluation.transactionHash } : {}),
          ...(g.score !== null ? { score: Number(g.score) } : {}),
          ...(g.stakeRefunded !== null ? { stakeRefunded: g.stakeRefunded } : {}),
          reward: BigInt(g.reward),
          submittedTx: g.transactionHash,
        });
        view.models.get(modelId)?.gradientIds.push(id);
      }
      source.view = view;
    },
  };
}
