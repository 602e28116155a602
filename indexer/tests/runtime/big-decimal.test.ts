// BigDecimal with graph-node's semantics: parsing and printing as the pinned `bigdecimal` 0.1.2
// crate does, results normalized to 34 significant digits. Division vectors are the crate's own
// test vectors (100 digits), rounded to 34 digits as graph-node's normalization does.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as bd from '../../src/runtime/big-decimal.ts';

const p = (s: string) => {
  const x = bd.parseBigDecimal(s);
  assert.ok(x, `parse ${s}`);
  return x;
};
const str = (s: string) => bd.toString(p(s));

describe('BigDecimal', () => {
  it('parses like the crate (sign, exponent, underscores) and normalizes', () => {
    const cases: [string, string][] = [
      ['1331.107', '1331.107'],
      ['1.0', '1'],
      ['2e1', '20'],
      ['0.00123', '0.00123'],
      ['-1230', '-1230'],
      ['123e-1', '12.3'],
      ['1.23e+1', '12.3'],
      ['1.23E+3', '1230'],
      ['1.23E-8', '0.0000000123'],
      ['-1.23E-10', '-0.000000000123'],
      ['.5', '0.5'],
      ['-.5', '-0.5'],
      ['5.', '5'],
      ['+7', '7'],
      ['1_000.5', '1000.5'],
      ['0', '0'],
      ['-0.000', '0'],
    ];
    for (const [input, expected] of cases) assert.equal(str(input), expected, input);
    for (const bad of ['', '.', 'abc', '1e', '1.2.3', '_1', '--1', '1e1.5', '0x10']) {
      assert.equal(bd.parseBigDecimal(bad), null, bad);
    }
    // the exponent graph-ts sees: value = digits * 10^exp, trailing zeros folded into exp
    const x = p('1200');
    assert.deepEqual([x.digits, bd.exponent(x)], [12n, 2]);
  });

  it('keeps 34 significant digits, rounding positive values half up on the first dropped digit', () => {
    assert.equal(str('1.234567890123456789012345678901234'), '1.234567890123456789012345678901234');
    assert.equal(str('1.2345678901234567890123456789012345'), '1.234567890123456789012345678901235');
    assert.equal(str('1.2345678901234567890123456789012344999'), '1.234567890123456789012345678901234');
    assert.equal(str('99999999999999999999999999999999995'), '100000000000000000000000000000000000');
    assert.equal(str('123456789012345678901234567890123456789'), '123456789012345678901234567890123500000');
  });

  it('divides like the crate, then normalizes to 34 digits', () => {
    const vectors: [string, string, string][] = [
      ['0', '1', '0'],
      ['2', '1', '2'],
      ['2e1', '1', '20'],
      ['10', '10', '1'],
      ['100', '10.0', '10'],
      ['20.0', '200', '0.1'],
      ['15', '3', '5'],
      ['1', '2e-2', '50'],
      ['5.0', '4.000', '1.25'],
      ['-50', '5', '-10'],
      ['200', '-5', '-40'],
      ['1', '3', '0.3333333333333333333333333333333333'],
      ['-2', '-3', '0.6666666666666666666666666666666667'],
      ['125348', '352.2283', '355.8714617763535752237966114591020'.replace(/0$/, '')],
    ];
    for (const [a, b, q] of vectors) assert.equal(bd.toString(bd.dividedBy(p(a), p(b))), q, `${a} / ${b}`);
    assert.throws(() => bd.dividedBy(p('1'), p('0')), /divide BigDecimal `1` by zero/);
  });

  it('truncates negative results and counts their digits from the bit length, as the crate does', () => {
    // the crate's remainder test (`10^k < 10 * r`) never holds for a negative r: no rounding up
    assert.equal(str('-9.2345678901234567890123456789012345'), '-9.234567890123456789012345678901234');
    assert.equal(bd.toString(bd.minus(p('1e-30'), p('1e30'))), '-999999999999999999999999999999.9999');
    // 1.23..e34 has 114 bits, which the crate takes for 34 digits: its 35th digit stays
    assert.equal(str('-1.2345678901234567890123456789012345'), '-1.2345678901234567890123456789012345');
    // a 100-digit negative quotient is counted as 99 digits, so 35 significant digits survive
    assert.equal(bd.toString(bd.dividedBy(p('-1'), p('3'))), `-0.${'3'.repeat(35)}`);
  });

  it('adds, subtracts, multiplies and compares exactly before normalizing', () => {
    assert.equal(bd.toString(bd.plus(p('0.1'), p('0.2'))), '0.3');
    assert.equal(bd.toString(bd.minus(p('1e30'), p('1e-30'))), '1000000000000000000000000000000');
    assert.equal(bd.toString(bd.times(p('1.5'), p('-2'))), '-3');
    assert.equal(bd.toString(bd.times(p('0.000001'), p('0.000001'))), '0.000000000001');
    assert.ok(bd.equals(p('1.0'), p('1')));
    assert.ok(!bd.equals(p('1.01'), p('1')));
    assert.equal(bd.toString(bd.plus(p('1e40'), p('1'))), '10000000000000000000000000000000000000000');
  });

  it('rejects exponents outside graph-node range', () => {
    assert.throws(() => bd.checkExponent(bd.fromDigitsExp(1n, 6145)), /outside the `-6143` to `6144` range/);
    assert.doesNotThrow(() => bd.checkExponent(bd.fromDigitsExp(1n, -6143)));
  });
});
