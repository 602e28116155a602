import { href, parseLocation, type Location_, type Route } from './route.ts';

function read(): Location_ {
  return parseLocation(window.location.hash, window.location.search);
}

export const nav = $state<{ current: Location_ }>({ current: read() });

window.addEventListener('hashchange', () => {
  nav.current = read();
});

/** Link target for a route at the currently viewed block (time travel follows links). */
export function link(route: Route): string {
  return href(route, nav.current.block);
}

export function setBlock(block: number | null): void {
  // ?block= in the page's own query string would win over the hash on reload: drop it
  if (new URLSearchParams(window.location.search).has('block')) {
    const url = new URL(window.location.href);
    url.searchParams.delete('block');
    url.hash = href(nav.current.route, block);
    window.history.replaceState(null, '', url);
    nav.current = read();
    return;
  }
  window.location.hash = href(nav.current.route, block);
}
