// bigInt.* and bigDecimal.* host functions, called by a real compiled mapping: BigInt results are
// compared with JS bigint arithmetic (graph-node's num-bigint truncates division like JS does),
// BigDecimal results with values computed independently here.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { HandlerError } from '../../src/runtime/errors.ts';
import { ChainBuilder, PROBE_ADDRESS } from './fixture.ts';
import { harness, plain } from './harness.ts';

const randomInt256 = (): bigint => {
  const bits = 1 + (randomBytes(1)[0]! % 255);
  const magnitude = BigInt(`0x${randomBytes(32).toString('hex')}`) % (1n << BigInt(bits));
  return randomBytes(1)[0]! & 1 ? -magnitude : magnitude;
};

/** a positive integer rounded to 34 significant digits, half up (BigDecimal's normalization) */
function round34(n: bigint): bigint {
  const digits = n.toString();
  if (digits.length <= 34) return n;
  const drop = BigInt(digits.length - 34);
  const q = n / 10n ** drop + (Number(digits[34]) >= 5 ? 1n : 0n);
  return q * 10n ** drop;
}

/** a/b (positive) to 34 significant digits, half up on the first dropped digit, trailing zeros removed */
function decimalQuotient(a: bigint, b: bigint): string {
  let n = a < 0n ? -a : a;
  const d = b < 0n ? -b : b;
  let scale = 0;
  while ((n / d).toString().length < 35 || n % d !== 0n) {
    if ((n / d).toString().length >= 35) break;
    n *= 10n;
    scale++;
  }
  let q = n / d;
  let digits = q.toString();
  if (digits.length > 34) {
    const drop = digits.length - 34;
    const first = Number(digits[34]);
    q = q / 10n ** BigInt(drop) + (first >= 5 ? 1n : 0n);
    scale -= drop;
    digits = q.toString();
  }
  while (q !== 0n && q % 10n === 0n) {
    q /= 10n;
    scale--;
  }
  digits = q.toString();
  if (scale <= 0) return digits + '0'.repeat(-scale);
  if (scale >= digits.length) return `0.${'0'.repeat(scale - digits.length)}${digits}`;
  return `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
}

describe('bigInt host functions', () => {
  it('match JS bigint semantics on random int256 operands', async () => {
    const h = harness();
    const chain = new ChainBuilder();
    const cases: [bigint, bigint, number][] = [
      [0n, 1n, 0],
      [-1n, 1n, 1],
      [-7n, 2n, 1],
      [7n, -2n, 3],
      [-(2n ** 255n), -1n, 2],
      [2n ** 255n - 1n, 3n, 255],
    ];
    for (let i = 0; i < 40; i++) cases.push([randomInt256(), randomInt256() || 1n, randomBytes(1)[0]! % 40]);
    const entry = chain.addBlock(cases.map(([a, b, s]) => [PROBE_ADDRESS, 'Arith', [a, b, s]]));
    await h.run(entry);
    cases.forEach(([a, b, shift], i) => {
      const tx = entry.block.transactions[i] as { hash: string };
      const r = plain(h.get('ArithResult', `${tx.hash}-${i}`));
      assert.ok(r, `result ${i}`);
      const label = `a=${a} b=${b} shift=${shift}`;
      assert.equal(r.plus, a + b, label);
      assert.equal(r.minus, a - b, label);
      assert.equal(r.times, a * b, label);
      assert.equal(r.quotient, a / b, label);
      assert.equal(r.remainder, a % b, label);
      assert.equal(r.power, a ** BigInt(shift), label);
      assert.equal(r.bitOr, a | b, label);
      assert.equal(r.bitAnd, a & b, label);
      assert.equal(r.shl, a << BigInt(shift), label);
      assert.equal(r.shr, a >> BigInt(shift), label);
      assert.equal(r.parsed, a, label);
      assert.equal(r.text, a.toString(), label);
      // graph-node prints the magnitude only
      assert.equal(r.hex, a === 0n ? '0x0' : `0x${(a < 0n ? -a : a).toString(16)}`, label);
      // the operands become BigDecimals (34 digits) before dividing, as in graph-node
      if (a > 0n && b > 0n) assert.equal(r.asDecimal, decimalQuotient(round34(a), round34(b)), label);
      if (a === 0n) assert.equal(r.asDecimal, '0');
    });
  });

  it('fails the handler on division by zero, naming the operand', async () => {
    const h = harness();
    const chain = new ChainBuilder();
    await assert.rejects(
      h.run(chain.addBlock([[PROBE_ADDRESS, 'Action', [7, 'x']]])),
      (err: unknown) => err instanceof HandlerError && /attempted to divide BigInt `1` by zero/.test(err.message),
    );
  });
});

describe('bigDecimal host functions', () => {
  it('parse, add, subtract, multiply, divide, compare and print like graph-node', async () => {
    const h = harness();
    const chain = new ChainBuilder();
    const cases: [string, string, Record<string, unknown>][] = [
      ['1.5', '0.25', { a: '1.5', b: '0.25', plus: '1.75', minus: '1.25', times: '0.375', quotient: '6', equal: false, aText: '1.5' }],
      ['10', '3', { plus: '13', minus: '7', times: '30', quotient: '3.333333333333333333333333333333333' }],
      ['1e3', '1000.000', { a: '1000', plus: '2000', minus: '0', times: '1000000', quotient: '1', equal: true, aText: '1000' }],
      ['-2', '0', { plus: '-2', minus: '-2', times: '0', quotient: null, equal: false }],
      ['0.1', '0.2', { plus: '0.3', minus: '-0.1', times: '0.02', quotient: '0.5' }],
      [
        '1234567890.123456789012345678901234567',
        '1',
        { a: '1234567890.123456789012345678901235', times: '1234567890.123456789012345678901235', quotient: '1234567890.123456789012345678901235' },
      ],
    ];
    const entry = chain.addBlock(cases.map(([a, b]) => [PROBE_ADDRESS, 'Decimal', [a, b]]));
    await h.run(entry);
    cases.forEach(([a, b, expected], i) => {
      const tx = entry.block.transactions[i] as { hash: string };
      const r = plain(h.get('DecimalResult', `${tx.hash}-${i}`));
      assert.ok(r);
      for (const [field, value] of Object.entries(expected)) {
        assert.equal(r[field] ?? null, value, `${a} ${b} ${field}`);
      }
    });
  });

  it('fails the handler on a string that is not a decimal', async () => {
    const h = harness();
    const chain = new ChainBuilder();
    await assert.rejects(
      h.run(chain.addBlock([[PROBE_ADDRESS, 'Decimal', ['1.2.3', '1']]])),
      (err: unknown) => err instanceof HandlerError && /is not a BigDecimal: '1\.2\.3'/.test(err.message) && err.handler === 'handleDecimal',
    );
  });
});
