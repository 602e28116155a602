// Hash routes: #/, #/model/:id, #/leaderboard, #/contributor/:address, #/loans, #/deployment/:id,
// each with an optional ?block=N (in the hash, or in the page's own query string) for viewing history as of block N.

export type Route =
  | { page: 'overview' }
  | { page: 'model'; id: string }
  | { page: 'leaderboard' }
  | { page: 'contributor'; address: string }
  | { page: 'loans' }
  | { page: 'deployment'; id: string }
  | { page: 'notfound'; path: string };

export interface Location_ {
  route: Route;
  /** null = live (latest indexed block) */
  block: number | null;
  /** a ?block= value that is not a block number, for an error message */
  badBlock?: string;
}

function parseBlock(value: string | null): { block: number | null; badBlock?: string } {
  if (value === null || value === '') return { block: null };
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) return { block: null, badBlock: value };
  return { block: Number(value) };
}

export function parseLocation(hash: string, search = ''): Location_ {
  const h = hash.replace(/^#/, '');
  const q = h.indexOf('?');
  const path = (q >= 0 ? h.slice(0, q) : h) || '/';
  const hashParams = new URLSearchParams(q >= 0 ? h.slice(q + 1) : '');
  const searchParams = new URLSearchParams(search);
  const blockText = hashParams.has('block') ? hashParams.get('block') : searchParams.get('block');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let route: Route;
  if (parts.length === 0) route = { page: 'overview' };
  else if (parts[0] === 'model' && parts.length === 2 && /^\d+$/.test(parts[1]!)) route = { page: 'model', id: parts[1]! };
  else if (parts[0] === 'leaderboard' && parts.length === 1) route = { page: 'leaderboard' };
  else if (parts[0] === 'loans' && parts.length === 1) route = { page: 'loans' };
  else if (parts[0] === 'deployment' && parts.length === 2 && /^\d+$/.test(parts[1]!)) route = { page: 'deployment', id: parts[1]! };
  else if (parts[0] === 'contributor' && parts.length === 2 && /^0x[0-9a-fA-F]{40}$/.test(parts[1]!)) {
    route = { page: 'contributor', address: parts[1]!.toLowerCase() };
  } else route = { page: 'notfound', path };
  return { route, ...parseBlock(blockText) };
}

export function routePath(route: Route): string {
  switch (route.page) {
    case 'overview':
      return '/';
    case 'model':
      return `/model/${route.id}`;
    case 'leaderboard':
      return '/leaderboard';
    case 'contributor':
      return `/contributor/${route.address}`;
    case 'loans':
      return '/loans';
    case 'deployment':
      return `/deployment/${route.id}`;
    case 'notfound':
      return route.path;
  }
}

/** The hash for a route, keeping the viewed block when there is one. */
export function href(route: Route, block: number | null): string {
  return `#${routePath(route)}${block === null ? '' : `?block=${block}`}`;
}
