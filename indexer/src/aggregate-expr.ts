// The `arg` of graph-node's `@aggregate`: a field of the timeseries or an SQL expression over its
// fields (graph/src/schema/input/sqlexpr.rs). graph-node hands it to Postgres; here it is parsed
// once when the schema loads and evaluated per data point with exact integer and decimal
// arithmetic (runtime/big-decimal.ts), so a sum of BigDecimals loses nothing.
import {
  dividedBy,
  fromBigInt,
  minus,
  parseBigDecimal,
  plus,
  times,
  toString as decimalString,
  type BigDecimal,
} from './runtime/big-decimal.ts';

/** A number: integers (Int, Int8, BigInt, integer literals) stay bigint until a decimal joins in. */
export type Num = { int: bigint } | { dec: BigDecimal };
export type ExprValue = Num | boolean | string | Uint8Array | null;

export type Expr =
  | { k: 'ident'; name: string }
  | { k: 'num'; value: Num }
  | { k: 'lit'; value: boolean | null }
  | { k: 'unary'; op: '-' | '+' | 'not'; e: Expr }
  | { k: 'bin'; op: string; l: Expr; r: Expr }
  | { k: 'is'; e: Expr; not: boolean; what: 'null' | 'true' | 'false' }
  | { k: 'distinct'; l: Expr; r: Expr; not: boolean }
  | { k: 'call'; fn: string; args: Expr[] }
  | { k: 'case'; operand: Expr | null; whens: { cond: Expr; then: Expr }[]; else: Expr | null };

export class ExprError extends Error {
  override name = 'ExprError';
}

/** graph-node's FN_WHITELIST: deterministic math and conditional functions of Postgres. */
const FUNCTIONS = new Set(['abs', 'ceil', 'ceiling', 'div', 'floor', 'gcd', 'lcm', 'mod', 'power', 'sign', 'coalesce', 'nullif', 'greatest', 'least']);
const KEYWORDS = new Set(['and', 'or', 'not', 'is', 'null', 'true', 'false', 'case', 'when', 'then', 'else', 'end', 'distinct', 'from']);

type Tok = { t: 'num' | 'id' | 'qid' | 'op' | 'kw'; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const num = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'num', v: num[0] });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      const lower = id[0].toLowerCase();
      out.push(KEYWORDS.has(lower) ? { t: 'kw', v: lower } : { t: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    if (c === '"') {
      const end = src.indexOf('"', i + 1);
      if (end < 0) throw new ExprError(`unterminated quoted identifier at ${i}`);
      out.push({ t: 'qid', v: src.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const op = /^(<->|<=|>=|<>|!=|::|[-+*/%^()=<>,])/.exec(src.slice(i));
    if (!op) throw new ExprError(`unexpected character ${JSON.stringify(c)} at ${i}`);
    if (op[0] === '::') throw new ExprError('Expressions using casts are not supported by the embedded indexer');
    if (op[0] === '<->') throw new ExprError('Expressions using the <-> operator are not supported by the embedded indexer');
    out.push({ t: 'op', v: op[0] });
    i += op[0].length;
  }
  return out;
}

/** Parses an `arg`; `unsupported` errors carry graph-node's wording for what it refuses too. */
export function parseExpr(src: string): Expr {
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p];
  const isOp = (v: string) => peek()?.t === 'op' && peek()!.v === v;
  const isKw = (v: string) => peek()?.t === 'kw' && peek()!.v === v;
  const expectOp = (v: string) => {
    if (!isOp(v)) throw new ExprError(`expected ${v} but found ${peek()?.v ?? 'the end'}`);
    p++;
  };
  const expectKw = (v: string) => {
    if (!isKw(v)) throw new ExprError(`expected ${v.toUpperCase()} but found ${peek()?.v ?? 'the end'}`);
    p++;
  };
  // Postgres precedence, loosest first: OR, AND, NOT, IS, comparison, + -, * / %, ^, unary
  const or = (): Expr => {
    let l = and();
    while (isKw('or')) {
      p++;
      l = { k: 'bin', op: 'or', l, r: and() };
    }
    return l;
  };
  const and = (): Expr => {
    let l = not();
    while (isKw('and')) {
      p++;
      l = { k: 'bin', op: 'and', l, r: not() };
    }
    return l;
  };
  const not = (): Expr => {
    if (isKw('not')) {
      p++;
      return { k: 'unary', op: 'not', e: not() };
    }
    return is();
  };
  const is = (): Expr => {
    let e = cmp();
    while (isKw('is')) {
      p++;
      const negated = isKw('not') ? (p++, true) : false;
      if (isKw('distinct')) {
        p++;
        expectKw('from');
        e = { k: 'distinct', l: e, r: cmp(), not: negated };
        continue;
      }
      const what = peek();
      if (what?.t !== 'kw' || !['null', 'true', 'false'].includes(what.v)) throw new ExprError(`expected NULL, TRUE, FALSE or DISTINCT after IS`);
      p++;
      e = { k: 'is', e, not: negated, what: what.v as 'null' | 'true' | 'false' };
    }
    return e;
  };
  const cmp = (): Expr => {
    let l = add();
    while (peek()?.t === 'op' && ['=', '!=', '<>', '<', '<=', '>', '>='].includes(peek()!.v)) {
      const op = toks[p++]!.v;
      l = { k: 'bin', op: op === '<>' ? '!=' : op, l, r: add() };
    }
    return l;
  };
  const add = (): Expr => {
    let l = mul();
    while (isOp('+') || isOp('-')) {
      const op = toks[p++]!.v;
      l = { k: 'bin', op, l, r: mul() };
    }
    return l;
  };
  const mul = (): Expr => {
    let l = pow();
    while (isOp('*') || isOp('/') || isOp('%')) {
      const op = toks[p++]!.v;
      l = { k: 'bin', op, l, r: pow() };
    }
    return l;
  };
  const pow = (): Expr => {
    let l = unary();
    while (isOp('^')) {
      p++;
      l = { k: 'bin', op: '^', l, r: unary() };
    }
    return l;
  };
  const unary = (): Expr => {
    if (isOp('-') || isOp('+')) {
      const op = toks[p++]!.v as '-' | '+';
      return { k: 'unary', op, e: unary() };
    }
    return primary();
  };
  const primary = (): Expr => {
    const tok = toks[p++];
    if (!tok) throw new ExprError('unexpected end of expression');
    if (tok.t === 'num') {
      const value: Num = /[.eE]/.test(tok.v) ? { dec: parseBigDecimal(tok.v)! } : { int: BigInt(tok.v) };
      return { k: 'num', value };
    }
    if (tok.t === 'kw') {
      if (tok.v === 'null') return { k: 'lit', value: null };
      if (tok.v === 'true' || tok.v === 'false') return { k: 'lit', value: tok.v === 'true' };
      if (tok.v === 'case') {
        const operand = isKw('when') ? null : or();
        const whens: { cond: Expr; then: Expr }[] = [];
        while (isKw('when')) {
          p++;
          const cond = or();
          expectKw('then');
          whens.push({ cond, then: or() });
        }
        if (whens.length === 0) throw new ExprError('CASE needs at least one WHEN');
        let otherwise: Expr | null = null;
        if (isKw('else')) {
          p++;
          otherwise = or();
        }
        expectKw('end');
        return { k: 'case', operand, whens, else: otherwise };
      }
      throw new ExprError(`unexpected ${tok.v.toUpperCase()}`);
    }
    if (tok.t === 'op') {
      if (tok.v !== '(') throw new ExprError(`unexpected ${tok.v}`);
      const e = or();
      expectOp(')');
      return e;
    }
    if (isOp('(')) {
      p++;
      const fn = tok.t === 'qid' ? tok.v : tok.v.toLowerCase();
      if (!FUNCTIONS.has(fn)) throw new ExprError(`Function ${tok.v} is not supported`);
      const args: Expr[] = [];
      if (!isOp(')')) {
        args.push(or());
        while (isOp(',')) {
          p++;
          args.push(or());
        }
      }
      expectOp(')');
      return { k: 'call', fn, args };
    }
    return { k: 'ident', name: tok.v };
  };
  const e = or();
  if (p < toks.length) throw new ExprError(`unexpected ${toks[p]!.v} after the expression`);
  return e;
}

/** Every field name the expression reads. */
export function identifiers(e: Expr, out = new Set<string>()): Set<string> {
  switch (e.k) {
    case 'ident':
      out.add(e.name);
      break;
    case 'unary':
    case 'is':
      identifiers(e.e, out);
      break;
    case 'bin':
    case 'distinct':
      identifiers(e.l, out);
      identifiers(e.r, out);
      break;
    case 'call':
      for (const a of e.args) identifiers(a, out);
      break;
    case 'case':
      if (e.operand) identifiers(e.operand, out);
      for (const w of e.whens) {
        identifiers(w.cond, out);
        identifiers(w.then, out);
      }
      if (e.else) identifiers(e.else, out);
      break;
  }
  return out;
}

// ---- evaluation ----

const isNum = (v: ExprValue): v is Num => v !== null && typeof v === 'object' && ('int' in v || 'dec' in v);
const toDec = (n: Num): BigDecimal => ('dec' in n ? n.dec : fromBigInt(n.int));

function num(v: ExprValue, what: string): Num | null {
  if (v === null) return null;
  if (!isNum(v)) throw new ExprError(`${what} needs a number`);
  return v;
}

export function compareNum(a: Num, b: Num): number {
  if ('int' in a && 'int' in b) return a.int < b.int ? -1 : a.int > b.int ? 1 : 0;
  const d = minus(toDec(a), toDec(b)).digits;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

function compare(a: ExprValue, b: ExprValue): number {
  if (isNum(a) && isNum(b)) return compareNum(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b);
  throw new ExprError('cannot compare values of different types');
}

function arith(op: string, a: Num, b: Num): Num {
  if ('int' in a && 'int' in b) {
    switch (op) {
      case '+':
        return { int: a.int + b.int };
      case '-':
        return { int: a.int - b.int };
      case '*':
        return { int: a.int * b.int };
      case '/':
      case '%':
        // Postgres integer division truncates toward zero, as BigInt's does
        if (b.int === 0n) throw new ExprError('division by zero');
        return { int: op === '/' ? a.int / b.int : a.int % b.int };
    }
  }
  const x = toDec(a);
  const y = toDec(b);
  switch (op) {
    case '+':
      return { dec: plus(x, y) };
    case '-':
      return { dec: minus(x, y) };
    case '*':
      return { dec: times(x, y) };
    case '/':
      if (y.digits === 0n) throw new ExprError('division by zero');
      return { dec: dividedBy(x, y) };
    case '%': {
      if (y.digits === 0n) throw new ExprError('division by zero');
      return { dec: minus(x, times(y, truncate(dividedBy(x, y)))) };
    }
  }
  throw new ExprError(`unknown operator ${op}`);
}

function truncate(d: BigDecimal): BigDecimal {
  if (d.scale <= 0) return d;
  return fromBigInt(d.digits / 10n ** BigInt(d.scale));
}

function floorDec(d: BigDecimal): BigDecimal {
  const t = truncate(d);
  return d.digits < 0n && minus(d, t).digits !== 0n ? minus(t, fromBigInt(1n)) : t;
}

function power(a: Num, b: Num): Num {
  if ('dec' in b && minus(b.dec, truncate(b.dec)).digits !== 0n) {
    throw new ExprError('power with a fractional exponent is not supported by the embedded indexer');
  }
  const e = 'int' in b ? b.int : truncate(b.dec).digits;
  if (e >= 0n) return 'int' in a ? { int: a.int ** e } : { dec: powDec(a.dec, e) };
  return { dec: dividedBy(fromBigInt(1n), powDec(toDec(a), -e)) };
}

function powDec(d: BigDecimal, e: bigint): BigDecimal {
  let out = fromBigInt(1n);
  for (let i = 0n; i < e; i++) out = times(out, d);
  return out;
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b) [a, b] = [b, a % b];
  return a;
}

function truthy(v: ExprValue): boolean | null {
  if (v === null) return null;
  if (typeof v !== 'boolean') throw new ExprError('a condition needs a boolean');
  return v;
}

/** Evaluates with Postgres' NULL rules (NULL in, NULL out; AND/OR three-valued). */
export function evalExpr(e: Expr, field: (name: string) => ExprValue): ExprValue {
  const ev = (x: Expr) => evalExpr(x, field);
  switch (e.k) {
    case 'ident':
      return field(e.name);
    case 'num':
      return e.value;
    case 'lit':
      return e.value;
    case 'unary': {
      const v = ev(e.e);
      if (v === null) return null;
      if (e.op === 'not') return !truthy(v);
      const n = num(v, 'unary minus')!;
      if (e.op === '+') return n;
      return 'int' in n ? { int: -n.int } : { dec: minus(fromBigInt(0n), n.dec) };
    }
    case 'is': {
      const v = ev(e.e);
      const r = e.what === 'null' ? v === null : v === (e.what === 'true');
      return e.not ? !r : r;
    }
    case 'distinct': {
      const a = ev(e.l);
      const b = ev(e.r);
      const same = a === null || b === null ? a === b : compare(a, b) === 0;
      return e.not ? same : !same;
    }
    case 'bin': {
      if (e.op === 'and' || e.op === 'or') {
        const a = truthy(ev(e.l));
        const b = truthy(ev(e.r));
        if (e.op === 'and') return a === false || b === false ? false : a === null || b === null ? null : true;
        return a === true || b === true ? true : a === null || b === null ? null : false;
      }
      const a = ev(e.l);
      const b = ev(e.r);
      if (a === null || b === null) return null;
      switch (e.op) {
        case '=':
          return compare(a, b) === 0;
        case '!=':
          return compare(a, b) !== 0;
        case '<':
          return compare(a, b) < 0;
        case '<=':
          return compare(a, b) <= 0;
        case '>':
          return compare(a, b) > 0;
        case '>=':
          return compare(a, b) >= 0;
        case '^':
          return power(num(a, '^')!, num(b, '^')!);
        default:
          return arith(e.op, num(a, e.op)!, num(b, e.op)!);
      }
    }
    case 'case': {
      const operand = e.operand ? ev(e.operand) : undefined;
      for (const w of e.whens) {
        const c = ev(w.cond);
        const hit = operand === undefined ? truthy(c) === true : operand !== null && c !== null && compare(operand, c) === 0;
        if (hit) return ev(w.then);
      }
      return e.else ? ev(e.else) : null;
    }
    case 'call':
      return call(e.fn, e.args.map(ev));
  }
}

function call(fn: string, args: ExprValue[]): ExprValue {
  const arity = (n: number) => {
    if (args.length !== n) throw new ExprError(`${fn} takes ${n} argument${n === 1 ? '' : 's'}`);
  };
  switch (fn) {
    case 'coalesce':
      return args.find((a) => a !== null) ?? null;
    case 'nullif':
      arity(2);
      return args[0] !== null && args[1] !== null && compare(args[0]!, args[1]!) === 0 ? null : args[0]!;
    case 'greatest':
    case 'least': {
      // Postgres ignores NULL arguments here
      let best: ExprValue = null;
      for (const a of args) {
        if (a === null) continue;
        if (best === null || (fn === 'greatest' ? compare(a, best) > 0 : compare(a, best) < 0)) best = a;
      }
      return best;
    }
  }
  if (args.some((a) => a === null)) return null;
  const n = args.map((a) => num(a, fn)!);
  switch (fn) {
    case 'abs':
      arity(1);
      return compareNum(n[0]!, { int: 0n }) < 0 ? arith('-', { int: 0n }, n[0]!) : n[0]!;
    case 'sign':
      arity(1);
      return 'int' in n[0]! ? { int: BigInt(compareNum(n[0]!, { int: 0n })) } : { dec: fromBigInt(BigInt(compareNum(n[0]!, { int: 0n }))) };
    case 'ceil':
    case 'ceiling':
    case 'floor': {
      arity(1);
      const x = n[0]!;
      if ('int' in x) return x;
      const f = floorDec(x.dec);
      return { dec: fn === 'floor' || minus(x.dec, f).digits === 0n ? f : plus(f, fromBigInt(1n)) };
    }
    case 'div': {
      arity(2);
      const q = arith('/', n[0]!, n[1]!);
      return 'int' in q ? q : { dec: truncate(q.dec) };
    }
    case 'mod':
      arity(2);
      return arith('%', n[0]!, n[1]!);
    case 'power':
      arity(2);
      return power(n[0]!, n[1]!);
    case 'gcd':
    case 'lcm': {
      arity(2);
      const [a, b] = n as [Num, Num];
      if (!('int' in a) || !('int' in b)) throw new ExprError(`${fn} needs integers here`);
      const g = gcd(a.int, b.int);
      if (fn === 'gcd') return { int: g };
      const l = g === 0n ? 0n : (a.int * b.int) / g;
      return { int: l < 0n ? -l : l };
    }
  }
  throw new ExprError(`Function ${fn} is not supported`);
}

export function numToString(n: Num): string {
  return 'int' in n ? n.int.toString() : decimalString(n.dec);
}
export { toDec };
