// Turns reverts into readable messages: ethers surfaces a custom error as raw revert data (or a
// half-decoded object); this names the error, its arguments and their enum values.
import { isError } from 'ethers';
import { HessianError } from '@hessian/common/errors';
import { ErrorFragment, Interface } from 'ethers';
import type { ErrorDescription, InterfaceAbi } from 'ethers';

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

/**
 * What a contract tells the decoder about its custom errors: its ABI, a hint per error name (what
 * the revert means to a user), and the value names of each enum by Solidity internal type
 * (e.g. 'enum IModelRepository.ModelStatus'). Each contract's client module registers its own,
 * so this module knows no contract.
 */
export interface ContractErrors {
  abi: InterfaceAbi;
  hints?: Readonly<Record<string, string>>;
  enums?: Readonly<Record<string, readonly string[]>>;
}

const hints = new Map<string, string>();
const enumNames = new Map<string, readonly string[]>();
/** Solidity internal types of each custom error's inputs by selector (ethers' fragments drop them) */
const errorInternalTypes = new Map<string, (string | undefined)[]>();
const errorFragments = new Map<string, ErrorFragment>();
let defaultInterface: Interface | undefined;

export function registerContractErrors(contract: ContractErrors): void {
  const abi = typeof contract.abi === 'string' ? (JSON.parse(contract.abi) as unknown[]) : contract.abi;
  for (const item of abi as readonly unknown[]) {
    const raw = item as { type?: string; inputs?: { internalType?: string }[] };
    if (typeof item !== 'object' || item === null || raw.type !== 'error') continue;
    const fragment = ErrorFragment.from(item as object);
    errorFragments.set(fragment.selector, fragment);
    errorInternalTypes.set(fragment.selector, (raw.inputs ?? []).map((i) => i.internalType));
  }
  for (const [name, hint] of Object.entries(contract.hints ?? {})) hints.set(name, hint);
  for (const [type, names] of Object.entries(contract.enums ?? {})) enumNames.set(type, names);
  defaultInterface = undefined;
}

/** every registered contract's custom errors, for a revert whose contract the caller does not know */
function registeredErrors(): Interface {
  defaultInterface ??= new Interface([...errorFragments.values()]);
  return defaultInterface;
}

function formatArgs(desc: ErrorDescription): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const internal = errorInternalTypes.get(desc.selector) ?? [];
  desc.fragment.inputs.forEach((input, i) => {
    const v = desc.args[i];
    const names = enumNames.get(internal[i] ?? '');
    const key = input.name || `arg${i}`;
    out[key] = names && typeof v === 'bigint' ? (names[Number(v)] ?? v.toString()) : typeof v === 'bigint' ? v.toString() : v;
  });
  return out;
}

/** the custom error carried by a revert, if any */
export function decodeRevert(err: unknown, iface: Interface = registeredErrors()): { name: string; args: Record<string, unknown> } | undefined {
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
export function describeChainError(err: unknown, action: string, iface: Interface = registeredErrors()): ChainError {
  if (err instanceof ChainError) return err;
  const decoded = decodeRevert(err, iface);
  if (decoded) {
    const args = Object.entries(decoded.args)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(', ');
    const hint = hints.get(decoded.name);
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
