/** The token address the contract uses for ETH (credits, bounties, withdraw). */
export const ETH = '0x0000000000000000000000000000000000000000';

// LoanDesk's bounds (a test checks them against the contract's constants).
/** Longest metric label a deployment may carry ("auc", "accuracy"), in bytes. */
export const MAX_METRIC_LENGTH = 16;
/** Longest loan term a request may ask for, in days (ten years). */
export const MAX_TERM_DAYS = 3650;
/** Highest yearly rate a decision may approve, in basis points (1000 %). */
export const MAX_RATE_BPS = 100_000;

// ModelRepository's submission bounds (a test checks them against the contract).
/** Seconds a committer has to reveal its gradient (1 hour); after it the commit lapses. */
export const REVEAL_WINDOW = 3600;
/** Latest submission deadline a model may set, in seconds from its creation (365 days). */
export const MAX_SUBMISSION_PERIOD = 365 * 24 * 3600;
/** Least submission stake a model may ask, in wei (1e14 = 0.0001 ETH). */
export const MIN_SUBMISSION_STAKE = 10n ** 14n;
/** Fixed-point scale of a gradient's declared differential-privacy epsilon: 1.5 = 1_500_000n. */
export const PRIVACY_SCALE = 1_000_000n;
