// Per-borrower bounds on the work quotes cost the service.


/**
 * Each quote costs the service a transaction, the download of a query (up to ~10 MiB) and CKKS
 * work, and requestQuote is free on the desk apart from gas: these bound what one address can
 * make it spend (security review M5). Quotes over the rate wait, unanswered and not downloaded,
 * until the window lets them through; quotes beyond `maxWaiting` are refused for good (journaled,
 * never fetched), as is a query document the same borrower already used.
 */
export interface QuoteLimits {
  /** quotes answered per borrower address within `windowMs` */
  perBorrower: number;
  windowMs: number;
  /** a borrower's quotes held back by the rate at one time; later ones are refused */
  maxWaiting: number;
}

export const DEFAULT_QUOTE_LIMITS: QuoteLimits = { perBorrower: 5, windowMs: 3_600_000, maxWaiting: 10 };

export function quoteLimits(l: Partial<QuoteLimits> = {}): QuoteLimits {
  const out = { ...DEFAULT_QUOTE_LIMITS, ...l };
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isSafeInteger(v) || v < (k === 'maxWaiting' ? 0 : 1)) throw new Error(`quoteLimits.${k} must be a whole number >= ${k === 'maxWaiting' ? 0 : 1}, got ${v}`);
  }
  return out;
}
