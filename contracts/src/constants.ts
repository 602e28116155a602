/** The token address the contract uses for ETH (credits, bounties, withdraw). */
export const ETH = '0x0000000000000000000000000000000000000000';

// LoanDesk's bounds (a test checks them against the contract's constants).
/** Longest metric label a deployment may carry ("auc", "accuracy"), in bytes. */
export const MAX_METRIC_LENGTH = 16;
/** Longest loan term a request may ask for, in days (ten years). */
export const MAX_TERM_DAYS = 3650;
/** Highest yearly rate a decision may approve, in basis points (1000 %). */
export const MAX_RATE_BPS = 100_000;
