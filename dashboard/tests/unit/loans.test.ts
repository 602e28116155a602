import { describe, expect, it } from 'vitest';
import { approvalRate, averageRateBps, formatApr, formatRateBps, formatTerm, lendingByToken, overallRateBps, REASON_LABELS, reasonLabel } from '../../src/lib/loans.ts';

describe('formatRateBps', () => {
  it('shows basis points as a percentage with two decimals', () => {
    expect(formatRateBps(1225)).toBe('12.25 %');
    expect(formatRateBps(1200)).toBe('12.00 %');
    expect(formatRateBps(5)).toBe('0.05 %');
    expect(formatRateBps(0)).toBe('0.00 %');
    expect(formatRateBps(25_000)).toBe('250.00 %');
  });
  it('reads graph-node BigDecimal text and rounds to a hundredth of a percent', () => {
    expect(formatRateBps('1187.5')).toBe('11.88 %');
    expect(formatRateBps('1187.4999')).toBe('11.87 %');
    expect(formatRateBps('1.2E+3')).toBe('12.00 %');
    expect(formatRateBps('999.99')).toBe('10.00 %');
  });
  it('shows a dash for no rate and refuses what is not one', () => {
    expect(formatRateBps(null)).toBe('–');
    expect(formatApr(undefined)).toBe('–');
    expect(() => formatRateBps('abc')).toThrow(/rate is not/);
    expect(() => formatRateBps('')).toThrow(/rate is not/);
    expect(() => formatRateBps(-1)).toThrow(/non-negative/);
  });
  it('APR text', () => {
    expect(formatApr(1225)).toBe('12.25 % APR');
  });
});

describe('reasonLabel', () => {
  it('puts every decision reason of the schema into words', () => {
    expect(reasonLabel('RiskTooHigh')).toBe('risk above cut-off');
    expect(reasonLabel('InvalidDisclosure')).toBe('disclosure failed verification');
    expect(reasonLabel('AmountAboveLimit')).toMatch(/limit/);
    expect(Object.keys(REASON_LABELS).sort()).toEqual(['AmountAboveLimit', 'InvalidDisclosure', 'Manual', 'Priced', 'RateAboveCap', 'RiskTooHigh']);
    for (const label of Object.values(REASON_LABELS)) expect(label).not.toMatch(/[A-Z]/);
  });
  it('dash for no decision, error naming an unknown reason', () => {
    expect(reasonLabel(null)).toBe('–');
    expect(() => reasonLabel('Bribed')).toThrow(/unknown decision reason: "Bribed"/);
  });
});

describe('formatTerm', () => {
  it('days, singular and plural', () => {
    expect(formatTerm(1)).toBe('1 day');
    expect(formatTerm(90)).toBe('90 days');
    expect(() => formatTerm(1.5)).toThrow(/whole number/);
  });
});

describe('averageRateBps', () => {
  const E = 10n ** 18n;
  it('weights each approved loan by its approved amount', () => {
    const loans = [
      { approved: true, approvedAmount: String(3n * E), rateBps: 1000 },
      { approved: true, approvedAmount: String(1n * E), rateBps: 2000 },
    ];
    expect(averageRateBps(loans)).toBe(1250);
  });
  it('ignores declined, pending and cancelled requests', () => {
    const loans = [
      { approved: true, approvedAmount: String(2n * E), rateBps: 900 },
      { approved: false, approvedAmount: '0', rateBps: 0 },
      { approved: null, approvedAmount: null, rateBps: null },
    ];
    expect(averageRateBps(loans)).toBe(900);
    expect(averageRateBps(loans.slice(1))).toBeNull();
    expect(averageRateBps([])).toBeNull();
  });
  it('keeps the weight of 18-decimal amounts exact (no float sum)', () => {
    const loans = [
      { approved: true, approvedAmount: '1', rateBps: 10_000 },
      { approved: true, approvedAmount: String(10n ** 30n), rateBps: 1000 },
    ];
    expect(averageRateBps(loans)).toBe(1000);
    expect(averageRateBps([{ approved: true, approvedAmount: '2', rateBps: 1001 }, { approved: true, approvedAmount: '1', rateBps: 1000 }])).toBeCloseTo(1000.6667, 3);
  });
});

describe('overallRateBps', () => {
  it('combines deployments by approved amount, skipping those without an approval', () => {
    expect(
      overallRateBps([
        { approvedAmount: '300', averageRateBps: '1000' },
        { approvedAmount: '100', averageRateBps: '2000' },
        { approvedAmount: '0', averageRateBps: null },
      ]),
    ).toBe(1250);
    expect(overallRateBps([{ approvedAmount: '0', averageRateBps: null }])).toBeNull();
    expect(() => overallRateBps([{ approvedAmount: '1', averageRateBps: 'x' }])).toThrow(/averageRateBps/);
  });
});

describe('approvalRate', () => {
  it('approved share of decisions; none decided is null', () => {
    expect(approvalRate({ approvedCount: 1, declinedCount: 3 })).toBe(0.25);
    expect(approvalRate({ approvedCount: 0, declinedCount: 0 })).toBeNull();
  });
});

describe('lendingByToken', () => {
  it('sums approved amounts and averages rates per token, never across tokens; ETH first', () => {
    const eth = '0x0000000000000000000000000000000000000000';
    const hsn = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
    expect(
      lendingByToken([
        { token: hsn, approvedAmount: '100', averageRateBps: '2000' },
        { token: eth, approvedAmount: '300', averageRateBps: '1000' },
        { token: eth, approvedAmount: '100', averageRateBps: '2000' },
        { token: hsn, approvedAmount: '0', averageRateBps: null },
      ]),
    ).toEqual([
      { token: eth, approvedAmount: 400n, averageRateBps: 1250 },
      { token: hsn.toLowerCase(), approvedAmount: 100n, averageRateBps: 2000 },
    ]);
    expect(lendingByToken([])).toEqual([]);
  });
});
