import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBigDecimal, decodeBigInt, encodeBigDecimal, encodeBigInt, normalizeDecimal } from '../../src/store/encoding.ts';

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

test('BigInt encoding round-trips and sorts numerically', () => {
  const values = [0n, 1n, -1n, 9n, 10n, -10n, -9n, 99n, 100n, 2n ** 255n, -(2n ** 255n), 123456789012345678901234567890n, -5n, 42n];
  for (const v of values) assert.equal(decodeBigInt(encodeBigInt(v)), v);
  const byNumber = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const byText = [...values].sort((a, b) => cmp(encodeBigInt(a), encodeBigInt(b)));
  assert.deepEqual(byText, byNumber);
});

test('BigDecimal encoding round-trips to the normalized form and sorts numerically', () => {
  const values = ['0', '1', '-1', '1.2', '1.23', '-1.2', '-1.23', '10', '9.999', '0.001', '-0.001', '0.5', '-0.5', '1e40', '-3.4e-20', '123.456', '100'];
  const num = (s: string) => Number(s);
  const byNumber = [...values].sort((a, b) => num(a) - num(b));
  const byText = [...values].sort((a, b) => cmp(encodeBigDecimal(a), encodeBigDecimal(b)));
  assert.deepEqual(byText, byNumber);
  assert.equal(decodeBigDecimal(encodeBigDecimal('1.2300')), '1.23');
  assert.equal(decodeBigDecimal(encodeBigDecimal('-0.00100')), '-0.001');
  assert.equal(decodeBigDecimal(encodeBigDecimal('1e3')), '1000');
  assert.equal(decodeBigDecimal(encodeBigDecimal('-0')), '0');
  assert.equal(normalizeDecimal('0012.500'), '12.5');
  assert.throws(() => encodeBigDecimal('abc'), /invalid BigDecimal "abc"/);
});
