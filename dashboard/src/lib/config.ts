// Run-time configuration: config.json served beside the app, overridden by ?endpoint= / ?ws=
// query parameters, so one build serves any indexer or graph-node endpoint.
import { ETH, ZERO_ADDRESS, shortHex, type TokenInfo } from './format.ts';

export interface ExplorerConfig {
  /** base URL; links are `${url}/tx/<hash>` and `${url}/address/<address>` */
  url: string;
}

export interface DashboardConfig {
  /** graph-node query endpoint, e.g. http://127.0.0.1:8000/subgraphs/name/hessian */
  endpoint: string;
  wsEndpoint?: string;
  /** token address (any case) → symbol and decimals; ETH (address zero) is built in */
  tokens: Record<string, TokenInfo>;
  explorer?: ExplorerConfig;
  /** e.g. https://ipfs.io; CID links are `${ipfsGateway}/ipfs/<cid>` */
  ipfsGateway?: string;
  /** milliseconds between `_meta` polls */
  pollInterval: number;
}

export const DEFAULT_POLL_MS = 2000;

function fail(where: string, message: string): never {
  throw new Error(`${where}: ${message}`);
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Validates a parsed config document; `where` names its source in error messages. */
export function parseConfig(raw: unknown, where = 'config.json', base?: string): DashboardConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(where, 'expected a JSON object');
  const r = raw as Record<string, unknown>;
  if (typeof r.endpoint !== 'string' || !r.endpoint) fail(where, '"endpoint" must be a non-empty URL string');
  const endpoint = base ? new URL(r.endpoint, base).href : r.endpoint;
  if (!isHttpUrl(endpoint)) fail(where, `"endpoint" is not an http(s) URL: ${r.endpoint}`);
  const tokens: Record<string, TokenInfo> = {};
  if (r.tokens !== undefined) {
    if (typeof r.tokens !== 'object' || r.tokens === null) fail(where, '"tokens" must be an object');
    for (const [address, info] of Object.entries(r.tokens as Record<string, unknown>)) {
      if (!/^0x[0-9a-fA-F]{40}$/.test(address)) fail(where, `tokens: ${JSON.stringify(address)} is not an address`);
      const i = info as Partial<TokenInfo> | null;
      if (!i || typeof i.symbol !== 'string' || !i.symbol) fail(where, `tokens.${address}.symbol must be a string`);
      if (typeof i.decimals !== 'number' || !Number.isInteger(i.decimals) || i.decimals < 0 || i.decimals > 77) {
        fail(where, `tokens.${address}.decimals must be an integer 0..77`);
      }
      tokens[address.toLowerCase()] = { symbol: i.symbol, decimals: i.decimals };
    }
  }
  let wsEndpoint: string | undefined;
  if (r.wsEndpoint !== undefined) {
    if (typeof r.wsEndpoint !== 'string' || !/^wss?:\/\//.test(r.wsEndpoint)) fail(where, '"wsEndpoint" must be a ws(s):// URL');
    wsEndpoint = r.wsEndpoint;
  }
  let explorer: ExplorerConfig | undefined;
  if (r.explorer !== undefined) {
    const e = r.explorer as Partial<ExplorerConfig> | null;
    if (!e || typeof e.url !== 'string' || !isHttpUrl(e.url)) fail(where, '"explorer.url" must be an http(s) URL');
    explorer = { url: e.url.replace(/\/+$/, '') };
  }
  let ipfsGateway: string | undefined;
  if (r.ipfsGateway !== undefined) {
    if (typeof r.ipfsGateway !== 'string' || !isHttpUrl(r.ipfsGateway)) fail(where, '"ipfsGateway" must be an http(s) URL');
    ipfsGateway = r.ipfsGateway.replace(/\/+$/, '');
  }
  let pollInterval = DEFAULT_POLL_MS;
  if (r.pollInterval !== undefined) {
    if (typeof r.pollInterval !== 'number' || !(r.pollInterval >= 100)) fail(where, '"pollInterval" must be a number of ms >= 100');
    pollInterval = r.pollInterval;
  }
  return { endpoint, wsEndpoint, tokens, explorer, ipfsGateway, pollInterval };
}

/** Applies ?endpoint= and ?ws= from the page URL (search or hash query). */
export function applyOverrides(config: DashboardConfig, params: URLSearchParams, base?: string): DashboardConfig {
  const out = { ...config };
  const endpoint = params.get('endpoint');
  if (endpoint) {
    const resolved = base ? new URL(endpoint, base).href : endpoint;
    if (!isHttpUrl(resolved)) fail('?endpoint=', `not an http(s) URL: ${endpoint}`);
    out.endpoint = resolved;
    // a ws endpoint from config.json belongs to the endpoint it replaced
    out.wsEndpoint = undefined;
  }
  const ws = params.get('ws');
  if (ws) {
    if (!/^wss?:\/\//.test(ws)) fail('?ws=', `not a ws(s):// URL: ${ws}`);
    out.wsEndpoint = ws;
  }
  return out;
}

export function tokenInfo(config: Pick<DashboardConfig, 'tokens'>, address: string): TokenInfo {
  const a = address.toLowerCase();
  if (a === ZERO_ADDRESS) return config.tokens[a] ?? ETH;
  // unknown token: show base units rather than guess decimals
  return config.tokens[a] ?? { symbol: shortHex(a, 6, 4), decimals: 0 };
}

export function txUrl(config: Pick<DashboardConfig, 'explorer'>, hash: string): string | undefined {
  return config.explorer ? `${config.explorer.url}/tx/${hash}` : undefined;
}

export function addressUrl(config: Pick<DashboardConfig, 'explorer'>, address: string): string | undefined {
  return config.explorer ? `${config.explorer.url}/address/${address}` : undefined;
}

export function cidUrl(config: Pick<DashboardConfig, 'ipfsGateway'>, cid: string): string | undefined {
  return config.ipfsGateway && cid ? `${config.ipfsGateway}/ipfs/${encodeURIComponent(cid)}` : undefined;
}

/** `location` is the page's (window.location), or any URL-like with href and search. */
export async function loadConfig(location: { href: string; search: string }, fetchFn: typeof fetch = fetch): Promise<DashboardConfig> {
  const url = new URL('config.json', location.href);
  url.search = '';
  url.hash = '';
  const params = new URLSearchParams(location.search);
  let config: DashboardConfig;
  let res: Response;
  try {
    res = await fetchFn(url.href, { cache: 'no-store' });
  } catch (e) {
    throw new Error(`could not load ${url.href}: ${(e as Error).message}`);
  }
  if (res.ok) {
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new Error(`${url.href} is not valid JSON`);
    }
    config = parseConfig(body, url.href, location.href);
  } else if (res.status === 404 && params.get('endpoint')) {
    config = { endpoint: 'http://invalid/', tokens: {}, pollInterval: DEFAULT_POLL_MS };
  } else {
    throw new Error(`could not load ${url.href}: HTTP ${res.status}`);
  }
  return applyOverrides(config, params, location.href);
}
