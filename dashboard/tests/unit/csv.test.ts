import { describe, expect, it } from 'vitest';
import { csvField, exactDecimal, exactScore, isoTime, toCsv } from '../../src/lib/csv.ts';
import { gradientColumns } from '../../src/lib/exports.ts';
import type { GradientRow } from '../../src/lib/types.ts';

describe('CSV (RFC 4180)', () => {
  it('quotes a field holding a comma, quote, CR or LF and doubles its quotes; leaves others bare', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField(null)).toBe('');
    expect(csvField(12n)).toBe('12');
    expect(csvField(false)).toBe('false');
  });

  it('writes a header and one CRLF-terminated line per row', () => {
    const text = toCsv([{ header: 'id', value: (r: { id: string; note: string }) => r.id }, { header: 'note, free', value: (r) => r.note }], [
      { id: '1', note: 'ok' },
      { id: '2', note: 'a "b", c' },
    ]);
    expect(text).toBe('id,"note, free"\r\n1,ok\r\n2,"a ""b"", c"\r\n');
  });

  it('writes amounts and scores as exact decimals, never rounded or grouped', () => {
    expect(exactDecimal('1500000000000000001', 18)).toBe('1.500000000000000001');
    expect(exactDecimal('1000000000000000000000', 18)).toBe('1000');
    expect(exactDecimal('1', 18)).toBe('0.000000000000000001');
    expect(exactDecimal('-250000', 6)).toBe('-0.25');
    expect(exactDecimal('0', 18)).toBe('0');
    expect(exactDecimal('42', 0)).toBe('42');
    expect(exactScore('751234')).toBe('0.751234');
    expect(exactScore('-5000')).toBe('-0.005');
    expect(exactScore(null)).toBe('');
    expect(isoTime('1735693200')).toBe('2025-01-01T01:00:00Z');
  });

  it('exports a gradient row with its reward in whole tokens', () => {
    const g: GradientRow = {
      id: '7', gradientId: '7', contributor: { id: '0xabc' }, cid: 'bafy', status: 'Accepted', score: '760000', improvement: '20000',
      reward: '123000000000000000000', stake: '10000000000000000', modelVersion: 2, submittedAt: '1735693200', submittedAtBlock: '12',
      evaluatedAt: null, transactionHash: '0xdead',
    };
    const [header, line] = toCsv(gradientColumns({ symbol: 'HSN', decimals: 18 }), [g]).split('\r\n');
    expect(header).toBe('gradient,contributor,cid,status,score,improvement,reward (HSN),stake (ETH),model version,submitted (UTC),block,evaluated (UTC),transaction');
    expect(line).toBe('7,0xabc,bafy,Accepted,0.76,0.02,123,0.01,2,2025-01-01T01:00:00Z,12,,0xdead');
  });
});
