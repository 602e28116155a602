// Declared eth_calls (`calls:` on an event handler, specVersion >= 1.2.0), parsed as graph-node's
// CallExpr::parse does (graph/src/data_source/common.rs): `Contract[address].function(args)`
// where the address and each argument is `event.address`, `event.params.<name>` (with
// `.field` / `.index` struct access from specVersion 1.4.0) or a hex address. Before a block's
// handlers run, the calls of its triggers are sent in one batch and cached, so the handlers'
// `ethereum.call`s that match them are answered from the cache.
import { getAddress, hexlify, type EventFragment, type FunctionFragment, type ParamType } from 'ethers';
import type { AbiDef, CallArg, CallDecl } from '../manifest-types.ts';
import { HostError, ManifestError } from './errors.ts';
import type { DecodedParam } from './ethereum-event.ts';
import type { EthValue } from './ethereum-values.ts';
import { encodeCall, type CallRequest } from './host/ethereum-call.ts';

export type { CallArg, CallDecl } from '../manifest-types.ts';

const ADDR_RE = /^0x[0-9a-fA-F]{40}$/;

function semver(v: string): [number, number, number] {
  const [a = 0, b = 0, c = 0] = v.split('.').map((x) => Number.parseInt(x, 10) || 0);
  return [a, b, c];
}
export function specAtLeast(spec: string, min: string): boolean {
  const [x, y] = [semver(spec), semver(min)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! > y[i]!;
  return true;
}

function parseArg(s: string, event: EventFragment, signature: string, specVersion: string): CallArg {
  if (ADDR_RE.test(s)) return { kind: 'hex', address: getAddress(s).toLowerCase() };
  if (s.startsWith('entity.')) throw new Error(`'entity.*' expressions not allowed in event handler context`);
  if (!s.startsWith('event.')) throw new Error(`In event handler context, only 'event.*' expressions and hex addresses are allowed`);
  const parts = s.split('.');
  if (parts.length === 2 && parts[1] === 'address') return { kind: 'address' };
  if (parts.length >= 3 && parts[1] === 'params') {
    const name = parts[2]!;
    const rest = parts.slice(3);
    if (rest.length === 0) return { kind: 'param', name, path: [] };
    if (!specAtLeast(specVersion, '1.4.0')) {
      throw new Error(
        `Struct field access 'event.params.${name}.*' in declarative calls is only supported for specVersion >= 1.4.0, current version is ${specVersion}. Event: '${signature}'`,
      );
    }
    let type: ParamType | undefined = event.inputs.find((p) => p.name === name);
    if (!type) throw new Error(`Cannot resolve field path 'event.params.${[name, ...rest].join('.')}' for event '${signature}'`);
    const path: number[] = [];
    for (const part of rest) {
      if (!type!.isTuple()) throw new Error(`Field '${part}' is not a struct (type: ${type!.format('sighash')}), cannot access nested field '${part}'`);
      const index: number = /^[0-9]+$/.test(part) ? Number(part) : type!.components.findIndex((c) => c.name === part);
      if (index < 0 || index >= type!.components.length) {
        throw new Error(`Index ${part} out of bounds for struct with ${type!.components.length} fields`);
      }
      path.push(index);
      type = type!.components[index];
    }
    return { kind: 'param', name, path };
  }
  throw new Error(`invalid call argument \`${s}\``);
}

function parseExpr(s: string, abis: AbiDef[], event: EventFragment, signature: string, specVersion: string): Omit<CallDecl, 'label'> {
  const bracket = s.indexOf('[');
  if (bracket < 0) throw new Error(`Invalid call expression '${s}': missing '[' after contract name`);
  const contract = s.slice(0, bracket).trim();
  if (!contract) throw new Error(`Invalid call expression '${s}': missing contract name before '['`);
  const bracketEnd = s.indexOf(']');
  if (bracketEnd < 0) throw new Error(`Invalid call expression '${s}': missing ']' to close address`);
  const addressStr = s.slice(bracket + 1, bracketEnd);
  if (!addressStr) throw new Error(`Invalid call expression '${s}': empty address in '${contract}[${addressStr}]'`);
  let address: CallArg;
  try {
    address = parseArg(addressStr, event, signature, specVersion);
  } catch (err) {
    throw new Error(`Failed to parse address '${addressStr}' in call expression '${s}': ${(err as Error).message}`);
  }
  const dot = s.slice(bracketEnd).indexOf('.');
  if (dot < 0) throw new Error(`Invalid call expression '${s}': missing '.' after address '${contract}[${addressStr}]'`);
  const funcStart = bracketEnd + dot + 1;
  const paren = s.slice(funcStart).indexOf('(');
  if (paren < 0) throw new Error(`Invalid call expression '${s}': missing '(' to start function arguments`);
  const func = s.slice(funcStart, funcStart + paren);
  if (!func) throw new Error(`Invalid call expression '${s}': missing function name after '${contract}[${addressStr}].'`);
  const parenEnd = s.lastIndexOf(')');
  if (parenEnd < 0) throw new Error(`Invalid call expression '${s}': missing ')' to close function arguments`);
  const argsStr = s.slice(funcStart + paren + 1, parenEnd);
  const args: CallArg[] = [];
  if (argsStr.trim()) {
    argsStr.split(',').forEach((raw, i) => {
      const a = raw.trim();
      try {
        args.push(parseArg(a, event, signature, specVersion));
      } catch (err) {
        throw new Error(`Failed to parse argument ${i + 1} '${a}' in call expression '${s}': ${(err as Error).message}`);
      }
    });
  }
  // the data source's validation: the ABI and function must exist (first overload, as graph-node)
  const abi = abis.find((a) => a.name === contract);
  if (!abi) throw new Error(`No ABI entry with name \`${contract}\` found`);
  let fn: FunctionFragment | undefined;
  abi.abi.forEachFunction((f) => {
    if (!fn && f.name === func) fn = f;
  });
  if (!fn) throw new Error(`Unknown function "${contract}::${func}" called from WASM runtime`);
  return { expr: s, contract, function: fn, address, args };
}

/** The `calls:` map of an event handler, checked against the manifest's specVersion and ABIs. */
export function parseCallDecls(
  raw: unknown,
  opts: { specVersion: string; abis: AbiDef[]; event: EventFragment; eventSignature: string; where: (s: string) => string },
): CallDecl[] {
  if (raw === undefined || raw === null) return [];
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ManifestError(opts.where('`calls` must be a mapping of labels to call expressions'));
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 0) return [];
  if (!specAtLeast(opts.specVersion, '1.2.0')) {
    throw new ManifestError(opts.where(`handler ${opts.eventSignature}: declaring eth calls on handlers is only supported for specVersion >= 1.2.0`));
  }
  return entries.map(([label, expr]) => {
    try {
      if (typeof expr !== 'string') throw new Error(`expected a call expression, got ${JSON.stringify(expr)}`);
      return { label, ...parseExpr(expr, opts.abis, opts.event, opts.eventSignature, opts.specVersion) };
    } catch (err) {
      throw new ManifestError(opts.where(`Error in declared call '${label}': ${(err as Error).message}`));
    }
  });
}

function argValue(decl: CallDecl, arg: CallArg, logAddress: string, params: DecodedParam[]): EthValue {
  if (arg.kind === 'hex') return { kind: 'address', value: Buffer.from(arg.address.slice(2), 'hex') };
  if (arg.kind === 'address') return { kind: 'address', value: Buffer.from(logAddress.slice(2), 'hex') };
  const p = params.find((x) => x.name === arg.name);
  if (!p) throw new HostError(`In declarative call '${decl.label}': unknown param ${arg.name}`);
  let v = p.value;
  arg.path.forEach((index, step) => {
    if (v.kind !== 'tuple') {
      throw new HostError(`In declarative call '${decl.label}': cannot access field on non-struct/tuple at access step ${step} (field path: [${arg.path.join(', ')}])`);
    }
    if (index >= v.value.length) {
      throw new HostError(`In declarative call '${decl.label}': struct field index ${index} out of bounds (struct has ${v.value.length} fields) at access step ${step}`);
    }
    v = v.value[index]!;
  });
  return v;
}

/** The eth_calls a trigger's declarations make for this log. */
export function declaredCallRequests(decls: CallDecl[], logAddress: string, params: DecodedParam[]): CallRequest[] {
  return decls.map((decl) => {
    const a = argValue(decl, decl.address, logAddress, params);
    if (a.kind !== 'address') {
      const what = decl.address.kind === 'param' ? decl.address.name : 'address';
      throw new HostError(
        decl.address.kind === 'param' && decl.address.path.length
          ? `In declarative call '${decl.label}': nested struct field is not an address`
          : `In declarative call '${decl.label}': param ${what} is not an address`,
      );
    }
    const data = encodeCall(decl.function, decl.args.map((arg) => argValue(decl, arg, logAddress, params)));
    return { to: hexlify(a.value).toLowerCase(), data };
  });
}
