import { describe, expect, it } from 'vitest';
import { applyOverrides, cidUrl, loadConfig, parseConfig, tokenInfo, txUrl } from '../../src/lib/config.ts';
import { href, parseLocation } from '../../src/lib/route.ts';

const HSN = '0x5FbDB2315678afecb367f032d93F642f64180aa3';

describe('parseConfig', () => {
  it('accepts the documented shape and lowercases token addresses', () => {
    const c = parseConfig({
      endpoint: 'http://127.0.0.1:8000/subgraphs/name/hessian',
      tokens: { [HSN]: { symbol: 'HSN', decimals: 18 } },
      explorer: { url: 'https://etherscan.io/' },
      ipfsGateway: 'https://ipfs.io/',
    });
    expect(c.tokens[HSN.toLowerCase()]).toEqual({ symbol: 'HSN', decimals: 18 });
    expect(c.pollInterval).toBe(2000);
    expect(txUrl(c, '0xab')).toBe('https://etherscan.io/tx/0xab');
    expect(cidUrl(c, 'bafy1')).toBe('https://ipfs.io/ipfs/bafy1');
  });
  it('resolves a relative endpoint against the page', () => {
    expect(parseConfig({ endpoint: '/graphql' }, 'x', 'http://localhost:5000/app/').endpoint).toBe('http://localhost:5000/graphql');
  });
  it('names what is wrong', () => {
    expect(() => parseConfig(null)).toThrow(/config.json: expected a JSON object/);
    expect(() => parseConfig({})).toThrow(/"endpoint" must be a non-empty URL/);
    expect(() => parseConfig({ endpoint: 'ftp://x' })).toThrow(/not an http\(s\) URL/);
    expect(() => parseConfig({ endpoint: 'http://x', tokens: { nope: { symbol: 'A', decimals: 1 } } })).toThrow(/"nope" is not an address/);
    expect(() => parseConfig({ endpoint: 'http://x', tokens: { [HSN]: { symbol: 'A', decimals: -1 } } })).toThrow(/decimals must be an integer/);
    expect(() => parseConfig({ endpoint: 'http://x', wsEndpoint: 'http://x' })).toThrow(/wsEndpoint/);
    expect(() => parseConfig({ endpoint: 'http://x', pollInterval: 5 })).toThrow(/pollInterval/);
  });
});

describe('overrides and tokens', () => {
  const base = parseConfig({ endpoint: 'http://a/subgraphs/name/hessian', wsEndpoint: 'ws://a/ws' });
  it('?endpoint= replaces the endpoint and drops the ws endpoint that belonged to it', () => {
    const c = applyOverrides(base, new URLSearchParams('endpoint=http://b/graphql'));
    expect(c.endpoint).toBe('http://b/graphql');
    expect(c.wsEndpoint).toBeUndefined();
    expect(() => applyOverrides(base, new URLSearchParams('endpoint=javascript:alert(1)'))).toThrow(/\?endpoint=/);
  });
  it('knows ETH without config and shows unknown tokens in base units', () => {
    expect(tokenInfo(base, '0x0000000000000000000000000000000000000000')).toEqual({ symbol: 'ETH', decimals: 18 });
    expect(tokenInfo(base, HSN)).toEqual({ symbol: '0x5fbd…0aa3', decimals: 0 });
  });
  it('loadConfig fetches config.json beside the page and applies the override', async () => {
    const seen: string[] = [];
    const fakeFetch = (async (url: string) => {
      seen.push(url);
      return new Response(JSON.stringify({ endpoint: 'http://a/x', tokens: {} }), { status: 200 });
    }) as unknown as typeof fetch;
    const loc = new URL('http://host:9/dash/index.html?endpoint=http://c/q#/model/1');
    const c = await loadConfig(loc, fakeFetch);
    expect(seen).toEqual(['http://host:9/dash/config.json']);
    expect(c.endpoint).toBe('http://c/q');
  });
  it('loadConfig reports an unreadable config with its URL', async () => {
    const notFound = (async () => new Response('nope', { status: 500 })) as unknown as typeof fetch;
    await expect(loadConfig(new URL('http://h/'), notFound)).rejects.toThrow('could not load http://h/config.json: HTTP 500');
  });
});

describe('routes', () => {
  it('parses every page and the block', () => {
    expect(parseLocation('')).toEqual({ route: { page: 'overview' }, block: null });
    expect(parseLocation('#/model/12?block=40')).toEqual({ route: { page: 'model', id: '12' }, block: 40 });
    expect(parseLocation('#/leaderboard', '?block=7')).toEqual({ route: { page: 'leaderboard' }, block: 7 });
    expect(parseLocation('#/contributor/0xABCDEF0123456789abcdef0123456789ABCDEF01')).toEqual({
      route: { page: 'contributor', address: '0xabcdef0123456789abcdef0123456789abcdef01' },
      block: null,
    });
  });
  it('the hash block wins over the query string one; bad blocks are reported', () => {
    expect(parseLocation('#/?block=5', '?block=9').block).toBe(5);
    expect(parseLocation('#/?block=abc')).toEqual({ route: { page: 'overview' }, block: null, badBlock: 'abc' });
  });
  it('unknown paths are not found', () => {
    expect(parseLocation('#/model/abc').route).toEqual({ page: 'notfound', path: '/model/abc' });
    expect(parseLocation('#/loans?block=9')).toEqual({ route: { page: 'loans' }, block: 9 });
    expect(parseLocation('#/deployment/3').route).toEqual({ page: 'deployment', id: '3' });
    expect(parseLocation('#/deployment/x').route.page).toBe('notfound');
    expect(parseLocation('#/loans/2').route.page).toBe('notfound');
    expect(href({ page: 'deployment', id: '3' }, 12)).toBe('#/deployment/3?block=12');
    expect(parseLocation('#/contributor/0x12').route.page).toBe('notfound');
  });
  it('builds hashes that parse back', () => {
    const h = href({ page: 'model', id: '3' }, 99);
    expect(h).toBe('#/model/3?block=99');
    expect(parseLocation(h)).toEqual({ route: { page: 'model', id: '3' }, block: 99 });
    expect(href({ page: 'overview' }, null)).toBe('#/');
  });
});
