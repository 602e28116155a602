// Turns reverts into readable messages: ethers surfaces a custom error as raw revert data (or a
// half-decoded object); this names the error, its arguments and their enum values.
import { isError } from 'ethers';
import { HessianError } from '@hessian/common/errors';
import type { ErrorDescription, Interface } from 'ethers';
import { modelRepositoryAbi, modelRepositoryInterface, ENUM_NAMES } from './model-repository/abi.ts';

/**
 * A failed contract call, with the custom error decoded when there is one. Kind 'retryable' when
 * trying again later may succeed (network, timeouts, nonce races); 'fatal' for a revert, which
 * the same call repeats.
 */
export class ChainError extends HessianError {
  override name = 'ChainError';
  /** the custom error's name (e.g. "SealMismatch"), if the revert carried one */
  readonly errorName: string | undefined;
  readonly errorArgs: Record<string, unknown>;

  constructor(message: string, opts: { kind: 'retryable' | 'fatal'; errorName?: string; errorArgs?: Record<string, unknown>; cause?: unknown }) {
    super(message, { kind: opts.kind, cause: opts.cause });
    this.errorName = opts.errorName;
    this.errorArgs = opts.errorArgs ?? {};
  }

  /** the kind, as a flag (callers decide with isRetryable) */
  get transient(): boolean {
    return this.kind === 'retryable';
  }
}

const HINTS: Record<string, string> = {
  ModelNotOpen: 'the model does not accept submissions',
  SubmissionsClosed: 'the submission deadline has passed',
  StakeTooLow: 'the submission stake is below the contract minimum',
  DeadlineTooFar: 'the submission deadline is too far ahead',
  ZeroSeal: 'the seal must not be zero',
  ZeroCommitment: 'the data commitment must not be zero',
  NotContributor: 'only the account that committed the gradient can reveal it',
  GradientNotCommitted: 'the gradient was already revealed or has lapsed',
  RevealWindowOver: 'the reveal deadline has passed: the commit can only lapse',
  RevealWindowOpen: 'the commit may still be revealed: it lapses only after its reveal deadline',
  SealMismatch: 'the content does not match the committed seal (a wrong CID, commitment or salt; or the gradient id now names another commit, e.g. after a reorg)',
  NotEvaluator: 'the sender is not the model\'s evaluator',
  GradientNotPending: 'the gradient was already evaluated, expired or lapsed, or is not revealed yet',
  EvaluationWindowOver: 'the gradient\'s evaluation deadline has passed',
  EthValueMismatch: 'the ETH sent does not match the required amount',
  NothingToWithdraw: 'there is no credit to withdraw',
  NothingToRefund: 'this account has no refund to claim for the model',
  DeadlineInPast: 'the submission deadline is not in the future',
  InvalidScores: 'the target score must be above the initial score and below 1e6',
  UnknownModel: 'no model has this id',
  UnknownGradient: 'no gradient has this id',
};

function findRevertData(err: unknown, depth = 0): string | undefined {
  if (depth > 5 || err === null || typeof err !== 'object') return undefined;
  const e = err as Record<string, unknown>;
  if (typeof e.data === 'string' && /^0x[0-9a-fA-F]{8}/.test(e.data)) return e.data;
  for (const k of ['error', 'info', 'cause', 'data']) {
    const found = findRevertData(e[k], depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Solidity internal types of each custom error's inputs (ethers' fragments drop them) */
const errorInternalTypes = new Map<string, (string | undefined)[]>();
for (const item of modelRepositoryAbi as readonly { type?: string; name?: string; inputs?: { internalType?: string }[] }[]) {
  if (item.type === 'error' && item.name) errorInternalTypes.set(item.name, (item.inputs ?? []).map((i) => i.internalType));
}

function formatArgs(desc: ErrorDescription): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const internal = errorInternalTypes.get(desc.name) ?? [];
  desc.fragment.inputs.forEach((input, i) => {
    const v = desc.args[i];
    const names = ENUM_NAMES[internal[i] ?? ''];
    const key = input.name || `arg${i}`;
    out[key] = names && typeof v === 'bigint' ? (names[Number(v)] ?? v.toString()) : typeof v === 'bigint' ? v.toString() : v;
  });
  return out;
}

/** the custom error carried by a revert, if any */
export function decodeRevert(err: unknown, iface: Interface = modelRepositoryInterface): { name: string; args: Record<string, unknown> } | undefined {
  const data = findRevertData(err);
  if (!data) return undefined;
  let desc: ErrorDescription | null = null;
  try {
    desc = iface.parseError(data);
  } catch {
    return undefined;
  }
  if (!desc) return undefined;
  return { name: desc.name, args: formatArgs(desc) };
}

const TRANSIENT_CODES = new Set(['NETWORK_ERROR', 'TIMEOUT', 'SERVER_ERROR', 'NONCE_EXPIRED', 'REPLACEMENT_UNDERPRICED', 'UNKNOWN_ERROR']);

/** wraps any error from a contract call into a ChainError with a readable message */
export function describeChainError(err: unknown, action: string, iface: Interface = modelRepositoryInterface): ChainError {
  if (err instanceof ChainError) return err;
  const decoded = decodeRevert(err, iface);
  if (decoded) {
    const args = Object.entries(decoded.args)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(', ');
    const hint = HINTS[decoded.name];
    return new ChainError(`${action} reverted: ${decoded.name}(${args})${hint ? `: ${hint}` : ''}`, {
      errorName: decoded.name,
      errorArgs: decoded.args,
      kind: 'fatal',
      cause: err,
    });
  }
  const e = err as { code?: string; shortMessage?: string; message?: string };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const refused = /ECONNREFUSED|ECONNRESET|fetch failed|socket hang up/i.test(String(e?.message ?? ''));
  const transient = refused || (code !== undefined && TRANSIENT_CODES.has(code));
  if (isError(err, 'CALL_EXCEPTION')) {
    return new ChainError(`${action} reverted: ${err.shortMessage}`, { kind: 'fatal', cause: err });
  }
  return new ChainError(`${action} failed: ${e?.shortMessage ?? e?.message ?? String(err)}`, { kind: transient ? 'retryable' : 'fatal', cause: err });
}
