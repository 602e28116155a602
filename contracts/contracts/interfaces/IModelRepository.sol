// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Hessian model repository
/// @notice Lenders escrow a bounty for a model; data owners submit encrypted gradients in two
/// steps (commit a seal, then reveal the IPFS CID and the commitment to the rows used); the
/// model's evaluator records measured scores; the contract credits rewards by the model's rule.
/// All payouts are pulled.
/// @dev Every state change emits one event carrying everything an indexer needs, so history
/// is rebuilt from logs alone (no view calls). Storage keeps only what validation needs.
/// Scores are fixed point with SCORE_SCALE = 1e6 (AUC 0.75 = 750_000); higher is better.
///
/// Front-running: a submission is first a `commitGradient(modelId, seal)` with
/// seal = keccak256(abi.encode(contributor, modelId, dataCommitment, keccak256(bytes(gradientCid)), salt)),
/// which fixes the gradient's id (its place in line) and its contributor before anything
/// copyable is public. `revealGradient` by that same contributor then publishes the CID; the
/// contract checks it against the seal. A copied CID can only be revealed under a later commit,
/// which the evaluator rejects as a duplicate (first committed wins); a copied seal cannot be
/// revealed by anyone else; data commitments are per contributor, so nobody can squat them.
///
/// Constants (ModelRepository): REVEAL_WINDOW = 1 hour, MAX_SUBMISSION_PERIOD = 365 days,
/// MIN_SUBMISSION_STAKE = 1e14 wei, MAX_EVALUATION_WINDOW = 30 days, PRIVACY_SCALE = 1e6.
/// Targets must be strictly below SCORE_SCALE (1.0 is unreachable in practice).
interface IModelRepository {
    enum RewardRule {
        /// bounty * (newBest - previousBest) / (target - initial), overshoot capped at target
        Improvement,
        /// pool split equally among accepted gradients when the model closes
        EqualShare
    }

    enum ModelStatus {
        None,
        /// accepting submissions until the submission deadline
        Open,
        /// best score >= target; no new submissions, pending ones may still be evaluated
        TargetReached,
        /// closed; leftover refunded or shared; claims open
        Closed
    }

    enum GradientStatus {
        None,
        /// sealed: the id, contributor and stake are fixed, the CID is not public yet
        Committed,
        /// revealed, waiting for the evaluator
        Pending,
        Accepted,
        /// invalid or duplicate content (e.g. a copy of an earlier-committed gradient): stake forfeited
        Rejected,
        /// valid but not applied (no improvement, or the evaluator could not fetch it): stake refunded,
        /// no share; the owner is not punished for the lender's storage or judgement
        Declined,
        /// revealed but not evaluated within the evaluation window; shares what the lender left unearned
        Expired,
        /// committed but never revealed within REVEAL_WINDOW: stake forfeited, no share
        Lapsed
    }

    /// @notice The evaluator's verdict on a revealed gradient.
    enum Verdict {
        Accepted,
        Rejected,
        Declined
    }

    enum RewardKind {
        Improvement,
        EqualShare,
        /// a share of the leftover paid to gradients the evaluator let expire
        ExpiredShare
    }

    enum CloseReason {
        /// submission deadline + evaluation window passed
        Deadline,
        /// target reached and no gradient pending
        TargetReached
    }

    // calldata only, never stored
    // solhint-disable-next-line gas-struct-packing
    struct CreateModelParams {
        /// address(0) for ETH (bounty = msg.value), otherwise an ERC-20
        address token;
        /// ERC-20 amount pulled with transferFrom; for ETH 0 or equal to msg.value
        uint256 bounty;
        /// IPFS CID (string form, e.g. CIDv1 base32) of the encrypted initial weights
        string weightsCid;
        /// IPFS CID of the model metadata document (features, metric, CKKS parameters, keys)
        string metadataCid;
        uint64 initialScore;
        uint64 targetScore;
        RewardRule rule;
        /// unix seconds; commits are accepted strictly before it; at most MAX_SUBMISSION_PERIOD ahead
        uint64 submissionDeadline;
        /// seconds the evaluator has to evaluate each gradient after its reveal (1 s .. 30 days)
        uint32 evaluationWindow;
        /// address(0) means the lender itself
        address evaluator;
        /// ETH each commit must carry (at least MIN_SUBMISSION_STAKE); returned to the contributor
        /// unless the gradient is Rejected or Lapsed
        uint96 submissionStake;
    }

    // ---------------------------------------------------------------- events
    event ModelCreated(
        uint256 indexed modelId,
        address indexed lender,
        address indexed evaluator,
        address token,
        uint256 bounty,
        RewardRule rule,
        uint64 initialScore,
        uint64 targetScore,
        uint64 submissionDeadline,
        uint32 evaluationWindow,
        uint96 submissionStake,
        string weightsCid,
        string metadataCid
    );

    /// @notice Emitted for top-ups (the initial bounty is in ModelCreated).
    event BountyAdded(uint256 indexed modelId, address indexed funder, address token, uint256 amount, uint256 totalBounty);

    /// @notice A sealed submission: the gradient's id, contributor and stake are fixed from here.
    event GradientCommitted(
        uint256 indexed gradientId,
        uint256 indexed modelId,
        address indexed contributor,
        bytes32 seal,
        /// number of accepted updates of the model when this gradient was committed
        uint32 modelVersion,
        uint96 stake,
        /// the contributor must reveal at or before this time, or the commit lapses
        uint64 revealDeadline
    );

    /// @notice The commit's content, checked against its seal.
    event GradientRevealed(
        uint256 indexed gradientId,
        uint256 indexed modelId,
        address indexed contributor,
        bytes32 dataCommitment,
        bytes32 salt,
        /// differential-privacy epsilon this gradient spent, as declared by its owner (and in its
        /// gradient document), fixed point with PRIVACY_SCALE = 1e6; 0 = no DP noise
        uint32 dpEpsilon,
        uint64 evaluationDeadline,
        string gradientCid
    );

    event GradientEvaluated(
        uint256 indexed gradientId,
        uint256 indexed modelId,
        address indexed contributor,
        Verdict verdict,
        /// best score before this evaluation
        uint64 previousBestScore,
        /// measured score after applying this gradient
        uint64 score,
        /// best score after this evaluation
        uint64 bestScore,
        /// model version after this evaluation (incremented when accepted)
        uint32 modelVersion,
        /// reward credited now (Improvement rule); EqualShare pays at close
        uint256 reward,
        /// CID of the new encrypted weights when accepted, empty otherwise
        string newWeightsCid
    );

    event GradientExpired(uint256 indexed gradientId, uint256 indexed modelId, address indexed contributor);

    /// @notice A commit that was not revealed in time; its stake is forfeited to the lender (StakeReleased).
    event GradientLapsed(uint256 indexed gradientId, uint256 indexed modelId, address indexed contributor);

    /// @notice A credit to a contributor: an Improvement reward (only when > 0) at evaluation, or a
    /// share claimed after close (may be 0 when the leftover was smaller than the share count).
    event RewardEarned(
        uint256 indexed modelId,
        address indexed contributor,
        uint256 indexed gradientId,
        address token,
        uint256 amount,
        RewardKind kind
    );

    /// @notice A submission stake released: to the contributor (refunded: accepted, declined,
    /// expired) or forfeited to the lender (rejected, lapsed).
    event StakeReleased(uint256 indexed gradientId, uint256 indexed modelId, address indexed to, uint96 amount, bool refunded);

    /// @notice Emitted once per model, by the evaluation that first brings the best score to the target.
    event TargetReached(uint256 indexed modelId, uint256 indexed gradientId, uint64 score);

    event ModelClosed(
        uint256 indexed modelId,
        address indexed closedBy,
        CloseReason reason,
        /// total rewards credited before close
        uint256 paid,
        /// amount set aside for shares (EqualShare accepted gradients and/or expired gradients)
        uint256 shared,
        uint32 shareCount,
        uint256 sharePerGradient,
        /// the whole unspent bounty given back: the lender's part (credited now) plus third-party
        /// funders' parts (claimed with claimRefund), in proportion to what each put in
        uint256 refund
    );

    /// @notice A refund credited to a funder: the lender's at close (only when non-zero), a
    /// third-party funder's when it calls claimRefund.
    event Refunded(uint256 indexed modelId, address indexed funder, address token, uint256 amount);

    event Withdrawal(address indexed account, address indexed token, address indexed to, uint256 amount);

    // ---------------------------------------------------------------- errors
    error ZeroBounty();
    error InvalidScores(uint64 initialScore, uint64 targetScore);
    error DeadlineInPast(uint64 deadline, uint256 nowTimestamp);
    /// @notice Shares and expired stakes are paid only at close, so the deadline is bounded.
    error DeadlineTooFar(uint64 deadline, uint256 max);
    error StakeTooLow(uint96 stake, uint96 min);
    error ZeroEvaluationWindow();
    /// @notice The window bounds how long a contributor's stake and gradient can be left waiting.
    error EvaluationWindowTooLong(uint32 evaluationWindow, uint32 max);
    // EmptyCid() and CidTooLong(length, max): file-level in libraries/Cids.sol, beside the CID check
    // both contracts share (the contract's ABI lists them)
    error EthValueMismatch(uint256 expected, uint256 sent);
    error UnexpectedEth(uint256 sent);
    error FeeOnTransferToken(address token, uint256 expected, uint256 received);
    error AmountTooLarge(uint256 amount);
    error UnknownModel(uint256 modelId);
    error UnknownGradient(uint256 gradientId);
    error ModelNotOpen(uint256 modelId, ModelStatus status);
    error SubmissionsClosed(uint256 modelId, uint64 deadline, uint256 nowTimestamp);
    error ZeroSeal();
    error ZeroCommitment();
    error NotContributor(uint256 gradientId, address caller, address contributor);
    error GradientNotCommitted(uint256 gradientId, GradientStatus status);
    error RevealWindowOver(uint256 gradientId, uint64 revealDeadline, uint256 nowTimestamp);
    /// @notice expireGradient on a commit whose reveal deadline has not passed yet.
    error RevealWindowOpen(uint256 gradientId, uint64 revealDeadline, uint256 nowTimestamp);
    /// @notice The revealed content does not hash to the commit's seal (or, at evaluation, the
    /// evaluator judged other content than the chain holds for this id, e.g. after a reorg).
    error SealMismatch(uint256 gradientId, bytes32 expected, bytes32 actual);
    error NotEvaluator(uint256 modelId, address caller, address evaluator);
    error GradientNotPending(uint256 gradientId, GradientStatus status);
    error EvaluationWindowOver(uint256 gradientId, uint64 evaluationDeadline, uint256 nowTimestamp);
    error EvaluationWindowOpen(uint256 gradientId, uint64 evaluationDeadline, uint256 nowTimestamp);
    error ScoreOutOfRange(uint64 score, uint64 max);
    error MissingWeightsCid(uint256 gradientId);
    error NotClosable(uint256 modelId, ModelStatus status, uint32 pendingCount, uint256 closableAt);
    error AlreadyClosed(uint256 modelId);
    error ModelNotClosed(uint256 modelId);
    error NothingToClaim(uint256 gradientId, GradientStatus status);
    error AlreadyClaimed(uint256 gradientId);
    error NothingToWithdraw(address account, address token);
    error NothingToRefund(uint256 modelId, address funder);
    error ZeroAddress();
    error EthTransferFailed(address to, uint256 amount);

    // ---------------------------------------------------------------- lender
    /// @return modelId ids start at 1
    function createModel(CreateModelParams calldata params) external payable returns (uint256 modelId);

    /// @notice Anyone may top up an Open or TargetReached model (ETH: msg.value; token: transferFrom).
    /// What is left unspent at close goes back to each funder in proportion to what it put in.
    function addBounty(uint256 modelId, uint256 amount) external payable;

    // ---------------------------------------------------------------- data owners
    /// @notice Step one of a submission: msg.value must equal the model's submissionStake, the
    /// model must be Open and before its submission deadline.
    /// @return gradientId ids start at 1, global across models, in commit order
    function commitGradient(uint256 modelId, bytes32 seal) external payable returns (uint256 gradientId);

    /// @notice Step two, by the committer only, at most REVEAL_WINDOW after the commit (also
    /// after the submission deadline). Starts the gradient's evaluation window.
    function revealGradient(
        uint256 gradientId,
        string calldata gradientCid,
        bytes32 dataCommitment,
        bytes32 salt,
        uint32 dpEpsilon
    ) external;

    /// @notice The seal a contributor commits for a submission (also computable off-chain).
    function sealOf(
        address contributor,
        uint256 modelId,
        bytes32 dataCommitment,
        string calldata gradientCid,
        bytes32 salt
    ) external pure returns (bytes32);

    // ---------------------------------------------------------------- evaluator
    /// @notice Once per revealed gradient, in any order, before its evaluation deadline. `seal`
    /// must be the gradient's committed seal, so a verdict cannot land on other content than
    /// the evaluator judged (reorgs renumber ids). Accepted gradients return their stake and
    /// (Improvement rule) earn immediately if they raise the best score; Declined ones return
    /// their stake; Rejected ones forfeit it to the lender. `newWeightsCid` is required when
    /// accepted and ignored (the event carries "") otherwise. `score` is at most SCORE_SCALE.
    function evaluateGradient(uint256 gradientId, bytes32 seal, uint64 score, Verdict verdict, string calldata newWeightsCid)
        external;

    // ---------------------------------------------------------------- anyone
    /// @notice After a revealed gradient's evaluation deadline: marks it Expired and refunds its
    /// stake. After a commit's reveal deadline: marks it Lapsed and forfeits its stake.
    function expireGradient(uint256 gradientId) external;

    /// @notice Closes a model once (a) submissionDeadline + REVEAL_WINDOW + evaluationWindow has
    /// passed, or (b) the target is reached, in both cases with no gradient committed or pending.
    /// The leftover (bounty - paid) is split equally among expired gradients plus, for
    /// EqualShare, accepted ones; with none of those it is refunded to the funders (the lender
    /// now, third parties by claimRefund). Rounding dust goes to the lender.
    function closeModel(uint256 modelId) external;

    /// @notice Credits a closed model's share to an Accepted (EqualShare) or Expired gradient's contributor.
    function claimShare(uint256 gradientId) external;

    /// @notice Credits a third-party funder's part of a closed model's refund (once).
    function claimRefund(uint256 modelId) external;

    /// @notice Pulls the caller's whole credit in `token` (address(0) = ETH) to `to`. For an
    /// ERC-20, credits and escrow are claims on the contract's balance of that token: the amount
    /// paid is credit * balance / owed, which is the credit itself for any ordinary token, and
    /// shares a rebasing token's gains or losses pro rata so the last withdrawal empties it.
    function withdraw(address token, address to) external returns (uint256 amount);

    // ---------------------------------------------------------------- views
    function credit(address account, address token) external view returns (uint256);

    function modelCount() external view returns (uint256);

    function gradientCount() external view returns (uint256);
}
