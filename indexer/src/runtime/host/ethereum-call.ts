// ethereum.call / ethereum.getBalance / ethereum.hasCode, as graph-node's runtime adapter
// (chain/ethereum/src/runtime/runtime_adapter.rs) does them: at the handler's block (by hash,
// EIP-1898), the function looked up in the data source's ABIs by name and signature, a revert
// (or an output that does not decode, or an empty one) returned as null, which graph-ts's
// `call` turns into its "Call reverted" abort and `tryCall` into `reverted`. Failures of the
// node that are not reverts are not answers: they propagate, and the sync step is retried.
import { FunctionFragment, getBytes, hexlify, type Interface, type ParamType } from 'ethers';
import type { AbiDef } from '../../manifest-types.ts';
import { HostError } from '../errors.ts';
import { coder, fromEthers, readEthValue, writeEthValue, type EthValue } from '../ethereum-values.ts';
import { writeBigInt } from '../store-values.ts';
import type { HostContext, HostFns } from './context.ts';

export interface BlockRef {
  number: number;
  /** lowercase 0x-hex */
  hash: string;
}

/** An eth_call's answer: the returned bytes, or a revert (graph-node's `Retval::Null`). */
export type CallAnswer = { ok: true; data: string } | { ok: false; reason: string };

export interface CallRequest {
  /** lowercase address */
  to: string;
  /** 0x-hex call data */
  data: string;
}

/** What the host functions read the chain through (cached per block by the implementation). */
export interface ChainReader {
  call(block: BlockRef, req: CallRequest): CallAnswer;
  balance(block: BlockRef, address: string): bigint;
  hasCode(block: BlockRef, address: string): boolean;
}

/** The trigger being run, as the host functions need it. */
export interface CallSite {
  block: BlockRef;
  abis: AbiDef[];
  /** apiVersion's patch component */
  apiPatch: number;
}

/** graph-node's gas limit for eth_call (runtime_adapter.rs ETH_CALL_GAS) */
export const ETH_CALL_GAS = 50_000_000;

// graph-node's call_helper.rs: node error messages that mean the EVM reverted or halted, i.e. a
// deterministic answer, not a failed request
const RPC_EXECUTION_ERRORS = [
  'revert',
  'invalid jump destination',
  'invalid opcode',
  'stack limit reached 1024',
  'out of gas',
  'stack underflow',
  'vm execution error',
  'invalidjump',
  'notactivated',
  'invalidfeopcode',
  'stackunderflow',
  'stackoverflow',
  'opcodenotfound',
];
const PARITY_VM_EXECUTION_ERROR = -32015;

/** Whether a JSON-RPC error of eth_call is a revert (graph-node's interpret_eth_call_error). */
export function isRevertError(code: number, message: string, data: unknown): boolean {
  const m = message.toLowerCase();
  if (RPC_EXECUTION_ERRORS.some((e) => m.includes(e))) return true;
  if (code === PARITY_VM_EXECUTION_ERROR && typeof data === 'string') {
    return (
      data.toLowerCase().startsWith('revert') ||
      data.startsWith('Bad jump') ||
      data.startsWith('Out of stack') ||
      ['Bad instruction fe', 'Bad instruction fd', 'Out of gas'].includes(data)
    );
  }
  return false;
}

/** `name(inputs):(outputs)`, graph-node's `signature_compat` (what graph-ts passes along) */
export function signatureCompat(f: FunctionFragment): string {
  const part = (ps: readonly ParamType[]) => `(${ps.map((p) => p.format('sighash')).join(',')})`;
  return f.name + part(f.inputs) + (f.outputs.length ? ':' + part(f.outputs) : '');
}

/** MappingABI::function: by name, then by signature when the mapping passes one. */
export function findFunction(contractName: string, abi: Interface, name: string, signature: string | null): FunctionFragment {
  const candidates: FunctionFragment[] = [];
  abi.forEachFunction((f) => {
    if (f.name === name) candidates.push(f);
  });
  if (candidates.length === 0) throw new HostError(`Unknown function "${contractName}::${name}" called from WASM runtime`);
  if (signature === null) return candidates[0]!;
  const f = candidates.find((c) => signatureCompat(c) === signature);
  if (!f) throw new HostError(`Unknown function "${contractName}::${name}" with signature \`${signature}\` called from WASM runtime`);
  return f;
}

function describe(v: EthValue): string {
  switch (v.kind) {
    case 'int':
    case 'uint':
      return `${v.kind === 'int' ? 'Int' : 'Uint'}(${v.value})`;
    case 'bool':
      return `Bool(${v.value})`;
    case 'string':
      return `String(${JSON.stringify(v.value)})`;
    case 'address':
      return `Address(${hexlify(v.value)})`;
    case 'bytes':
    case 'fixedBytes':
      return `${v.kind === 'bytes' ? 'Bytes' : 'FixedBytes'}(${hexlify(v.value)})`;
    default:
      return `${v.kind[0]!.toUpperCase()}${v.kind.slice(1)}([${v.value.map(describe).join(', ')}])`;
  }
}

/** An ethereum.Value as the ethers value of `type`; graph-node's type check (ContractCallError::TypeError). */
export function abiValue(type: ParamType, v: EthValue): unknown {
  const mismatch = () => new HostError(`type mismatch, decoded value ${describe(v)} is not of kind ${type.format('sighash')}`);
  if (type.isTuple()) {
    if (v.kind !== 'tuple' || v.value.length !== type.components.length) throw mismatch();
    return type.components.map((c, i) => abiValue(c, v.value[i]!));
  }
  if (type.isArray()) {
    if (type.arrayLength === -1 ? v.kind !== 'array' : v.kind !== 'fixedArray' || v.value.length !== type.arrayLength) throw mismatch();
    return (v.value as EthValue[]).map((item) => abiValue(type.arrayChildren, item));
  }
  const base = type.baseType;
  if (base === 'address' && v.kind === 'address') return hexlify(v.value);
  if (base === 'bool' && v.kind === 'bool') return v.value;
  if (base === 'string' && v.kind === 'string') return v.value;
  if (base === 'bytes' && v.kind === 'bytes') return hexlify(v.value);
  if (/^bytes[0-9]+$/.test(base) && v.kind === 'fixedBytes' && v.value.length === Number(base.slice(5))) return hexlify(v.value);
  if (base.startsWith('uint') && (v.kind === 'uint' || (v.kind === 'int' && v.value >= 0n))) return v.value;
  if (base.startsWith('int') && (v.kind === 'int' || v.kind === 'uint')) return v.value;
  throw mismatch();
}

/** Call data for a function and mapping-supplied values. */
export function encodeCall(f: FunctionFragment, values: EthValue[]): string {
  if (values.length !== f.inputs.length) throw new HostError(`error encoding input call data: unexpected number of values; expected ${f.inputs.length}, got ${values.length}`);
  const args = f.inputs.map((p, i) => abiValue(p, values[i]!));
  try {
    return f.selector + coder.encode(f.inputs, args).slice(2);
  } catch (err) {
    throw new HostError(`error encoding input call data: ${(err as Error).message}`);
  }
}

/** The outputs, or null when they do not decode (a revert, as graph-node counts it). */
export function decodeOutputs(f: FunctionFragment, data: string): EthValue[] | null {
  if (data === '0x') return null;
  try {
    const decoded = coder.decode(f.outputs, getBytes(data));
    return f.outputs.map((p, i) => fromEthers(p, decoded[i]));
  } catch {
    return null;
  }
}

export function ethereumCallHost(ctx: HostContext, site: () => CallSite, chain: () => ChainReader | null): HostFns {
  const reader = (what: string): ChainReader => {
    const c = chain();
    if (!c) throw new HostError(`${what} needs a JSON-RPC endpoint, and this runtime has none`);
    return c;
  };
  const address = (ptr: number): string => {
    const bytes = ctx.heap.readBytes(ptr);
    if (bytes.length !== 20) throw new HostError(`address must contain exactly 20 bytes, got ${bytes.length}`);
    return hexlify(bytes);
  };
  return {
    'ethereum.call': (ptr: number) => {
      const { block, abis } = site();
      const heap = ctx.heap;
      const contractName = heap.readString(heap.u32(ptr));
      const contractAddress = address(heap.u32(ptr + 4));
      const functionName = heap.readString(heap.u32(ptr + 8));
      const sigPtr = heap.u32(ptr + 12);
      const signature = sigPtr === 0 ? null : heap.readString(sigPtr);
      const params = heap.readPtrArray(heap.u32(ptr + 16)).map((p) => readEthValue(heap, p));
      const abi = abis.find((a) => a.name === contractName);
      if (!abi) {
        throw new HostError(`Could not find ABI for contract "${contractName}", try adding it to the 'abis' section of the subgraph manifest`);
      }
      const f = findFunction(contractName, abi.abi, functionName, signature);
      let data: string;
      try {
        data = encodeCall(f, params);
      } catch (err) {
        throw new HostError(`Failed to call function "${functionName}" of contract "${contractName}": ${(err as Error).message}`);
      }
      const answer = reader('ethereum.call').call(block, { to: contractAddress, data });
      if (!answer.ok) return 0;
      const outputs = decodeOutputs(f, answer.data);
      if (outputs === null) return 0;
      return heap.writePtrArray(outputs.map((v) => writeEthValue(heap, v)), 'ArrayEthereumValue');
    },
    'ethereum.getBalance': (ptr: number) => {
      const { block, apiPatch } = site();
      if (apiPatch < 9) throw new HostError('ethereum.getBalance call is not supported before API version 0.0.9');
      return writeBigInt(ctx.heap, reader('ethereum.getBalance').balance(block, address(ptr)));
    },
    'ethereum.hasCode': (ptr: number) => {
      const { block, apiPatch } = site();
      if (apiPatch < 9) throw new HostError('ethereum.hasCode call is not supported before API version 0.0.9');
      const has = reader('ethereum.hasCode').hasCode(block, address(ptr));
      const wrapped = ctx.heap.alloc(4, 'WrappedBool');
      ctx.heap.setU32(wrapped, has ? 1 : 0);
      return wrapped;
    },
  };
}

