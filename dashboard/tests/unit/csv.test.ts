import { describe, expect, it } from 'vitest';
import { csvField, exactDecimal, exactScore, isoTime, toCsv } from '../../src/lib/csv.ts';
import { funderColumns, gradientColumns } from '../../src/lib/exports.ts';
import type { FunderRow, GradientRow } from '../../src/lib/types.ts';

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

  it('exports a gradient row with its reward in whole tokens, its seal, and its CID and epsilon once revealed', () => {
    const g: GradientRow = {
      id: '7', gradientId: '7', contributor: { id: '0xabc' }, seal: '0x5ea1', cid: 'bafy', dpEpsilon: '500000', status: 'Accepted', score: '760000',
      improvement: '20000', reward: '123000000000000000000', stake: '10000000000000000', modelVersion: 2, submittedAt: '1735693200',
      submittedAtBlock: '12', revealDeadline: '1735696800', revealedAt: '1735693260', evaluatedAt: null, transactionHash: '0xdead',
    };
    const sealed: GradientRow = { ...g, id: '8', gradientId: '8', cid: null, dpEpsilon: null, status: 'Committed', score: null, improvement: null, reward: '0', revealedAt: null };
    const noDp: GradientRow = { ...g, id: '9', gradientId: '9', dpEpsilon: '0', status: 'Declined', reward: '0' };
    const [header, line, sealedLine, noDpLine] = toCsv(gradientColumns({ symbol: 'HSN', decimals: 18 }), [g, sealed, noDp]).split('\r\n');
    expect(header).toBe(
      'gradient,contributor,status,seal,cid,dp epsilon,score,improvement,reward (HSN),stake (ETH),model version,committed (UTC),block,reveal deadline (UTC),revealed (UTC),evaluated (UTC),transaction',
    );
    expect(line).toBe('7,0xabc,Accepted,0x5ea1,bafy,0.5,0.76,0.02,123,0.01,2,2025-01-01T01:00:00Z,12,2025-01-01T02:00:00Z,2025-01-01T01:01:00Z,,0xdead');
    expect(sealedLine).toBe('8,0xabc,Committed,0x5ea1,,,,,0,0.01,2,2025-01-01T01:00:00Z,12,2025-01-01T02:00:00Z,,,0xdead');
    expect(noDpLine).toBe('9,0xabc,Declined,0x5ea1,bafy,0,0.76,0.02,0,0.01,2,2025-01-01T01:00:00Z,12,2025-01-01T02:00:00Z,2025-01-01T01:01:00Z,,0xdead');
  });

  it('exports a model\'s funders with what each put in and got back', () => {
    const rows: FunderRow[] = [
      { id: '1-0xl', funder: { id: '0xl' }, isLender: true, amount: '1000000000000000000000', depositCount: 1, refund: '250000000000000000000', refundedAt: '1735693200' },
      { id: '1-0xf', funder: { id: '0xf' }, isLender: false, amount: '5000000000000000000', depositCount: 2, refund: null, refundedAt: null },
    ];
    expect(toCsv(funderColumns({ symbol: 'HSN', decimals: 18 }), rows).split('\r\n')).toEqual([
      'funder,role,put in (HSN),deposits,refunded (HSN),refunded at (UTC)',
      '0xl,lender,1000,1,250,2025-01-01T01:00:00Z',
      '0xf,top-up,5,2,,',
      '',
    ]);
  });
});
