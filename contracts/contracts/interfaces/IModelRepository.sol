// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Hessian model repository
/// @notice Lenders escrow a bounty for a model; data owners submit encrypted gradients
/// (IPFS CIDs plus a commitment to the rows used); the model's evaluator records measured
/// scores and the contract credits rewards by the model's rule. All payouts are pulled.
/// @dev Every state change emits one event carrying everything an indexer needs, so history
/// is rebuilt from logs alone (no view calls). Storage keeps only what validation needs.
/// Scores are fixed point with SCORE_SCALE = 1e6 (AUC 0.75 = 750_000); higher is better.
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
        Pending,
        Accepted,
        Rejected,
        /// not evaluated within the evaluation window; shares what the lender left unearned
        Expired
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
        /// unix seconds; submissions are accepted strictly before it
        uint64 submissionDeadline;
        /// seconds the evaluator has to evaluate each gradient after its submission (1 s .. 30 days)
        uint32 evaluationWindow;
        /// address(0) means the lender itself
        address evaluator;
        /// ETH each submission must carry; returned to the contributor unless rejected
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

    event GradientSubmitted(
        uint256 indexed gradientId,
        uint256 indexed modelId,
        address indexed contributor,
        bytes32 dataCommitment,
        /// number of accepted updates of the model when this gradient was submitted
        uint32 modelVersion,
        uint96 stake,
        uint64 evaluationDeadline,
        string gradientCid
    );

    event GradientEvaluated(
        uint256 indexed gradientId,
        uint256 indexed modelId,
        address indexed contributor,
        bool accepted,
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

    /// @notice A submission stake released: to the contributor (refunded) or forfeited to the lender.
    /// Emitted only for a non-zero stake.
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
        /// credited back to the lender
        uint256 refund
    );

    /// @notice The lender's refund credited at close; emitted only when non-zero (ModelClosed.refund).
    event Refunded(uint256 indexed modelId, address indexed lender, address token, uint256 amount);

    event Withdrawal(address indexed account, address indexed token, address indexed to, uint256 amount);

    // ---------------------------------------------------------------- errors
    error ZeroBounty();
    error InvalidScores(uint64 initialScore, uint64 targetScore);
    error DeadlineInPast(uint64 deadline, uint256 nowTimestamp);
    error ZeroEvaluationWindow();
    /// @notice The window bounds how long a contributor's stake and gradient can be left waiting.
    error EvaluationWindowTooLong(uint32 evaluationWindow, uint32 max);
    error EmptyCid();
    error CidTooLong(uint256 length, uint256 max);
    error EthValueMismatch(uint256 expected, uint256 sent);
    error UnexpectedEth(uint256 sent);
    error FeeOnTransferToken(address token, uint256 expected, uint256 received);
    error AmountTooLarge(uint256 amount);
    error UnknownModel(uint256 modelId);
    error UnknownGradient(uint256 gradientId);
    error ModelNotOpen(uint256 modelId, ModelStatus status);
    error SubmissionsClosed(uint256 modelId, uint64 deadline, uint256 nowTimestamp);
    error CommitmentAlreadyUsed(uint256 modelId, bytes32 dataCommitment);
    error ZeroCommitment();
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
    error ZeroAddress();
    error EthTransferFailed(address to, uint256 amount);

    // ---------------------------------------------------------------- lender
    /// @return modelId ids start at 1
    function createModel(CreateModelParams calldata params) external payable returns (uint256 modelId);

    /// @notice Anyone may top up an Open or TargetReached model (ETH: msg.value; token: transferFrom).
    function addBounty(uint256 modelId, uint256 amount) external payable;

    // ---------------------------------------------------------------- data owners
    /// @notice msg.value must equal the model's submissionStake. A commitment is usable once per model.
    /// @return gradientId ids start at 1, global across models
    function submitGradient(uint256 modelId, string calldata gradientCid, bytes32 dataCommitment)
        external
        payable
        returns (uint256 gradientId);

    // ---------------------------------------------------------------- evaluator
    /// @notice Once per gradient, in any order, before its evaluation deadline. Accepted gradients
    /// return their stake and (Improvement rule) earn immediately if they raise the best score;
    /// rejected ones forfeit their stake to the lender. `newWeightsCid` is required when accepted
    /// and ignored (the event carries "") when rejected. `score` is at most SCORE_SCALE.
    function evaluateGradient(uint256 gradientId, uint64 score, bool accepted, string calldata newWeightsCid) external;

    // ---------------------------------------------------------------- anyone
    /// @notice After a gradient's evaluation deadline: marks it Expired and refunds its stake.
    function expireGradient(uint256 gradientId) external;

    /// @notice Closes a model once (a) submissionDeadline + evaluationWindow has passed, or
    /// (b) the target is reached, in both cases with no gradient still pending. The leftover
    /// (bounty - paid) is split equally among expired gradients plus, for EqualShare, accepted
    /// ones; with none of those it is refunded to the lender. Rounding dust goes to the lender.
    function closeModel(uint256 modelId) external;

    /// @notice Credits a closed model's share to an Accepted (EqualShare) or Expired gradient's contributor.
    function claimShare(uint256 gradientId) external;

    /// @notice Pulls the caller's whole credit in `token` (address(0) = ETH) to `to`.
    function withdraw(address token, address to) external returns (uint256 amount);

    // ---------------------------------------------------------------- views
    function credit(address account, address token) external view returns (uint256);

    function modelCount() external view returns (uint256);

    function gradientCount() external view returns (uint256);
}
