import { describe, expect, it } from 'vitest';
import {
  ETH,
  GRADIENT_STATUS_LABELS,
  GRADIENT_STATUS_MEANINGS,
  formatAmount,
  formatAmountExact,
  formatDuration,
  formatEpsilon,
  formatEpsilonSpent,
  formatFixed,
  formatInt,
  formatPercent,
  formatRelative,
  formatScore,
  formatScoreDelta,
  formatTimestamp,
  shortCid,
  shortHex,
  toBigInt,
  verdictText,
} from '../../src/lib/format.ts';

describe('formatFixed', () => {
  it('keeps 18-decimal precision through the bigint path', () => {
    expect(formatFixed('1500000000000000000', 18)).toBe('1.5');
    expect(formatFixed('123456789012345678901234567890', 18)).toBe('123,456,789,012.3457');
    expect(formatFixed('1000000000000000000000000', 18)).toBe('1,000,000');
  });
  it('rounds half up at the last shown digit and trims zeros', () => {
    expect(formatFixed('12345', 4, 2)).toBe('1.23');
    expect(formatFixed('12350', 4, 2)).toBe('1.24');
    expect(formatFixed('99995', 4, 3)).toBe('10');
    expect(formatFixed('0', 18)).toBe('0');
  });
  it('never shows a non-zero amount as 0', () => {
    expect(formatFixed('1', 18)).toBe('<0.0001');
    expect(formatFixed('-1', 18)).toBe('>-0.0001');
  });
  it('handles zero decimals and negatives', () => {
    expect(formatFixed('1234567', 0)).toBe('1,234,567');
    expect(formatFixed('-2500000', 6)).toBe('-2.5');
  });
  it('rejects non-integers with the value in the message', () => {
    expect(() => formatFixed('1.5', 18)).toThrow(/not an integer: "1.5"/);
    expect(() => toBigInt(1.5, 'bounty')).toThrow(/bounty is not an integer/);
  });
});

describe('amounts', () => {
  it('adds the symbol and keeps the exact value for tooltips', () => {
    expect(formatAmount('2000000000000000000', ETH)).toBe('2 ETH');
    expect(formatAmount('1234500', { symbol: 'USDC', decimals: 6 })).toBe('1.2345 USDC');
    expect(formatAmountExact('1000000000000000001', ETH)).toBe('1.000000000000000001 ETH');
  });
});

describe('scores', () => {
  it('reads SCORE_SCALE = 1e6 fixed point', () => {
    expect(formatScore('750000')).toBe('0.75');
    expect(formatScore('751234')).toBe('0.7512');
    expect(formatScore(null)).toBe('–');
  });
  it('signs deltas', () => {
    expect(formatScoreDelta('12500')).toBe('+0.0125');
    expect(formatScoreDelta('-3000')).toBe('-0.003');
    expect(formatScoreDelta('0')).toBe('0');
  });
  it('shows BigDecimal progress as a percentage', () => {
    expect(formatPercent('0.625')).toBe('62.5%');
    expect(formatPercent('1')).toBe('100%');
    expect(formatPercent('6.25E-7')).toBe('0%');
    expect(() => formatPercent('abc')).toThrow(/not a decimal/);
  });
});

describe('privacy and verdicts', () => {
  it('reads PRIVACY_SCALE = 1e6 fixed point epsilons, 0 as no DP, null as not revealed', () => {
    expect(formatEpsilon('500000')).toBe('ε 0.5');
    expect(formatEpsilon('1250000')).toBe('ε 1.25');
    expect(formatEpsilon('0')).toBe('no DP');
    expect(formatEpsilon(null)).toBe('–');
    expect(formatEpsilonSpent('6000000')).toBe('6');
    expect(formatEpsilonSpent('0')).toBe('0');
    expect(() => formatEpsilon('0.5')).toThrow(/epsilon is not an integer: "0.5"/);
  });
  it('says each verdict and status in words', () => {
    expect(verdictText('Accepted')).toBe('accepted');
    expect(verdictText('Rejected')).toMatch(/rejected.*copy/);
    expect(verdictText('Declined')).toMatch(/declined.*no improvement/);
    expect(GRADIENT_STATUS_LABELS.Pending).toBe('Revealed, pending');
    expect(Object.keys(GRADIENT_STATUS_MEANINGS).sort()).toEqual(['Accepted', 'Committed', 'Declined', 'Expired', 'Lapsed', 'Pending', 'Rejected']);
  });
});

describe('short forms', () => {
  it('shortens addresses and CIDs, leaves other text alone', () => {
    expect(shortHex('0x1234567890abcdef1234567890abcdef12345678')).toBe('0x1234…5678');
    expect(shortHex('hello')).toBe('hello');
    expect(shortCid('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy')).toBe('bafkreig…4s52zy');
    expect(shortCid('QmShort')).toBe('QmShort');
  });
  it('groups integers', () => {
    expect(formatInt(1234567)).toBe('1,234,567');
    expect(formatInt('-1000')).toBe('-1,000');
  });
});

describe('time', () => {
  it('formats in UTC', () => {
    expect(formatTimestamp(0)).toBe('1970-01-01 00:00 UTC');
    expect(formatTimestamp('1763706725', true)).toBe('2025-11-21 06:32:05 UTC');
  });
  it('describes times relative to the viewed block', () => {
    expect(formatRelative(1000, 1000)).toBe('just now');
    expect(formatRelative(1000 - 90, 1000)).toBe('1 min ago');
    expect(formatRelative(1000 + 2 * 86400, 1000)).toBe('in 2 days');
    expect(formatRelative(1000 - 3 * 3600 - 5, 1000)).toBe('3 hours ago');
    expect(formatRelative(1000 - 30, 1000)).toBe('30 s ago');
  });
  it('formats durations to two units', () => {
    expect(formatDuration(3600)).toBe('1 h');
    expect(formatDuration(90061)).toBe('1 d 1 h');
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(0)).toBe('0 s');
  });
});

describe('relative time without a known now', () => {
  it('falls back to the absolute UTC time', () => {
    expect(formatRelative(0, null)).toBe('1970-01-01 00:00 UTC');
  });
});
