// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IModelRepository} from "./interfaces/IModelRepository.sol";
import {Cids} from "./libraries/Cids.sol";

/// @title Hessian model repository
/// @notice See IModelRepository. Escrow accounting per model: totalBounty = paid + (escrow left);
/// at close the escrow left is split into shares (held until claimed) and refunds (the lender's
/// credited, third-party funders' held until claimed).
/// @dev Storage is packed for the submission path: commitGradient reads and writes one model
/// slot and writes the two slots of a new gradient; revealGradient rewrites the gradient slot
/// and reads the seal and the model's evaluation window. CIDs live only in events.
contract ModelRepository is IModelRepository, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Fixed-point scale of scores: 1.0 (e.g. AUC 1) = 1e6.
    uint64 public constant SCORE_SCALE = 1e6;
    /// @notice Scores are fractions in [0, 1] (AUC, accuracy, ...), so at most SCORE_SCALE.
    uint64 public constant MAX_SCORE = SCORE_SCALE;
    /// @notice Longest CID argument (the bound Cids.check enforces): CIDv1 base32 sha2-256 strings are 59 bytes.
    uint256 public constant MAX_CID_LENGTH = Cids.MAX_LENGTH;
    /// @notice Longest evaluation window: a lender cannot park gradients (and their stakes) for years.
    uint32 public constant MAX_EVALUATION_WINDOW = 30 days;
    /// @notice How long a committer has to reveal: long enough to get the commit mined deep
    /// enough to be safe, short enough that a lapsed commit holds up a close only briefly.
    uint32 public constant REVEAL_WINDOW = 1 hours;
    /// @notice Latest submission deadline, from the model's creation: shares and expired stakes
    /// are paid only at close, so contributors must not wait forever.
    uint64 public constant MAX_SUBMISSION_PERIOD = 365 days;
    /// @notice Least stake a model may ask per commit, so junk submissions cost something.
    uint96 public constant MIN_SUBMISSION_STAKE = 1e14;
    /// @notice Fixed-point scale of a gradient's declared differential-privacy epsilon.
    uint32 public constant PRIVACY_SCALE = 1e6;

    struct Model {
        // slot 0: everything commitGradient reads and writes
        uint96 submissionStake;
        uint64 submissionDeadline;
        ModelStatus status;
        RewardRule rule;
        /// number of accepted updates
        uint32 version;
        /// gradients committed or pending (not yet evaluated, expired or lapsed)
        uint32 pendingCount;
        // slot 1: what every evaluation reads and an accepted one writes
        address evaluator;
        uint64 bestScore;
        uint32 acceptedCount;
        // slot 2
        address token;
        uint64 targetScore;
        uint32 evaluationWindow;
        // slot 3
        address lender;
        uint64 initialScore;
        uint32 expiredCount;
        // slot 4
        uint128 totalBounty;
        /// rewards credited before close (Improvement rule)
        uint128 paid;
        // slot 5: set at close
        uint128 sharePerGradient;
        /// the part of the refund owed to third parties and not claimed yet
        uint128 refundPool;
        // slot 6
        /// what third parties put in and have not claimed back yet
        uint128 thirdPartyFunded;
    }

    // slot 0 is exactly full, the seal takes slot 1
    // solhint-disable-next-line gas-struct-packing
    struct Gradient {
        // slot 0: 160 + 40 + 40 + 8 + 8 bits
        address contributor;
        uint40 modelId;
        /// the reveal deadline while Committed, the evaluation deadline from the reveal on
        uint40 deadline;
        GradientStatus status;
        bool shareClaimed;
        // slot 1
        bytes32 seal;
    }

    mapping(address account => mapping(address token => uint256 amount)) public credit;
    /// @dev One slot: once the first model exists it is non-zero, so no commit ever pays for a
    /// fresh storage slot to count gradients.
    uint128 private _modelCount;
    uint128 private _gradientCount;
    /// @notice Per ERC-20: escrow plus credits, i.e. every claim on this contract's balance of
    /// the token. A withdrawal pays credit * balance / owed.
    mapping(address token => uint256 amount) public owed;
    /// @notice What a third party (not the lender) has put into a model and not yet claimed back.
    mapping(uint256 modelId => mapping(address funder => uint256 amount)) public funded;

    mapping(uint256 modelId => Model) private _models;
    mapping(uint256 gradientId => Gradient) private _gradients;

    // ------------------------------------------------------------------ lender

    /// @inheritdoc IModelRepository
    function createModel(CreateModelParams calldata p) external payable nonReentrant returns (uint256 modelId) {
        if (p.targetScore <= p.initialScore || p.targetScore >= SCORE_SCALE) {
            revert InvalidScores(p.initialScore, p.targetScore);
        }
        if (p.submissionDeadline <= block.timestamp) revert DeadlineInPast(p.submissionDeadline, block.timestamp);
        uint256 latest = block.timestamp + MAX_SUBMISSION_PERIOD;
        if (p.submissionDeadline > latest) revert DeadlineTooFar(p.submissionDeadline, latest);
        if (p.evaluationWindow == 0) revert ZeroEvaluationWindow();
        if (p.evaluationWindow > MAX_EVALUATION_WINDOW) {
            revert EvaluationWindowTooLong(p.evaluationWindow, MAX_EVALUATION_WINDOW);
        }
        if (p.submissionStake < MIN_SUBMISSION_STAKE) revert StakeTooLow(p.submissionStake, MIN_SUBMISSION_STAKE);
        Cids.check(p.weightsCid);
        Cids.check(p.metadataCid);

        uint256 bounty;
        if (p.token == address(0)) {
            if (p.bounty != 0 && p.bounty != msg.value) revert EthValueMismatch(p.bounty, msg.value);
            bounty = msg.value;
            if (bounty == 0) revert ZeroBounty();
        } else {
            if (msg.value != 0) revert UnexpectedEth(msg.value);
            if (p.bounty == 0) revert ZeroBounty();
            bounty = p.bounty;
        }
        if (bounty > type(uint128).max) revert AmountTooLarge(bounty);
        // pulled before the model exists, so a token hook has no model to act on
        if (p.token != address(0)) _pullToken(p.token, bounty);

        modelId = ++_modelCount;
        address evaluator = p.evaluator == address(0) ? msg.sender : p.evaluator;
        Model storage m = _models[modelId];
        m.submissionStake = p.submissionStake;
        m.submissionDeadline = p.submissionDeadline;
        m.status = ModelStatus.Open;
        m.rule = p.rule;
        m.evaluator = evaluator;
        m.evaluationWindow = p.evaluationWindow;
        m.lender = msg.sender;
        m.initialScore = p.initialScore;
        m.token = p.token;
        m.targetScore = p.targetScore;
        m.totalBounty = uint128(bounty);
        m.bestScore = p.initialScore;

        emit ModelCreated(
            modelId,
            msg.sender,
            evaluator,
            p.token,
            bounty,
            p.rule,
            p.initialScore,
            p.targetScore,
            p.submissionDeadline,
            p.evaluationWindow,
            p.submissionStake,
            p.weightsCid,
            p.metadataCid
        );
    }

    /// @inheritdoc IModelRepository
    function addBounty(uint256 modelId, uint256 amount) external payable nonReentrant {
        Model storage m = _model(modelId);
        if (m.status == ModelStatus.Closed) revert ModelNotOpen(modelId, m.status);
        if (amount == 0) revert ZeroBounty();
        address token = m.token;
        if (token == address(0)) {
            if (msg.value != amount) revert EthValueMismatch(amount, msg.value);
        } else if (msg.value != 0) {
            revert UnexpectedEth(msg.value);
        }
        uint256 total = uint256(m.totalBounty) + amount;
        if (total > type(uint128).max) revert AmountTooLarge(total);
        m.totalBounty = uint128(total);
        // the lender's top-ups are the lender's escrow; anyone else's is refunded to them
        if (msg.sender != m.lender) {
            m.thirdPartyFunded += uint128(amount);
            funded[modelId][msg.sender] += amount;
        }
        emit BountyAdded(modelId, msg.sender, token, amount, total);
        // last: a token hook runs with the top-up already counted, and closeModel is guarded
        if (token != address(0)) _pullToken(token, amount);
    }

    // ------------------------------------------------------------------ data owners

    /// @inheritdoc IModelRepository
    function commitGradient(uint256 modelId, bytes32 seal) external payable returns (uint256 gradientId) {
        Model storage m = _model(modelId);
        if (m.status != ModelStatus.Open) revert ModelNotOpen(modelId, m.status);
        uint64 deadline = m.submissionDeadline;
        if (block.timestamp >= deadline) revert SubmissionsClosed(modelId, deadline, block.timestamp);
        if (seal == bytes32(0)) revert ZeroSeal();
        uint96 stake = m.submissionStake;
        if (msg.value != stake) revert EthValueMismatch(stake, msg.value);

        ++m.pendingCount;
        gradientId = ++_gradientCount;
        uint40 revealDeadline = uint40(block.timestamp + REVEAL_WINDOW);
        _gradients[gradientId] = Gradient({
            contributor: msg.sender,
            modelId: SafeCast.toUint40(modelId),
            deadline: revealDeadline,
            status: GradientStatus.Committed,
            shareClaimed: false,
            seal: seal
        });
        emit GradientCommitted(gradientId, modelId, msg.sender, seal, m.version, stake, revealDeadline);
    }

    /// @inheritdoc IModelRepository
    function revealGradient(
        uint256 gradientId,
        string calldata gradientCid,
        bytes32 dataCommitment,
        bytes32 salt,
        uint32 dpEpsilon
    ) external {
        Gradient storage g = _gradient(gradientId);
        address contributor = g.contributor;
        if (msg.sender != contributor) revert NotContributor(gradientId, msg.sender, contributor);
        if (g.status != GradientStatus.Committed) revert GradientNotCommitted(gradientId, g.status);
        uint40 revealDeadline = g.deadline;
        if (block.timestamp > revealDeadline) revert RevealWindowOver(gradientId, revealDeadline, block.timestamp);
        Cids.check(gradientCid);
        if (dataCommitment == bytes32(0)) revert ZeroCommitment();
        uint256 modelId = g.modelId;
        bytes32 actual = _seal(contributor, modelId, dataCommitment, gradientCid, salt);
        bytes32 expected = g.seal;
        if (actual != expected) revert SealMismatch(gradientId, expected, actual);

        uint40 evaluationDeadline = uint40(block.timestamp + _models[modelId].evaluationWindow);
        g.status = GradientStatus.Pending;
        g.deadline = evaluationDeadline;
        emit GradientRevealed(
            gradientId, modelId, contributor, dataCommitment, salt, dpEpsilon, evaluationDeadline, gradientCid
        );
    }

    /// @inheritdoc IModelRepository
    function sealOf(
        address contributor,
        uint256 modelId,
        bytes32 dataCommitment,
        string calldata gradientCid,
        bytes32 salt
    ) external pure returns (bytes32) {
        return _seal(contributor, modelId, dataCommitment, gradientCid, salt);
    }

    // ------------------------------------------------------------------ evaluator

    /// @inheritdoc IModelRepository
    function evaluateGradient(
        uint256 gradientId,
        bytes32 seal,
        uint64 score,
        Verdict verdict,
        string calldata newWeightsCid
    ) external {
        Gradient storage g = _gradient(gradientId);
        uint256 modelId = g.modelId;
        Model storage m = _models[modelId];
        if (msg.sender != m.evaluator) revert NotEvaluator(modelId, msg.sender, m.evaluator);
        if (g.status != GradientStatus.Pending) revert GradientNotPending(gradientId, g.status);
        if (block.timestamp > g.deadline) revert EvaluationWindowOver(gradientId, g.deadline, block.timestamp);
        if (seal != g.seal) revert SealMismatch(gradientId, g.seal, seal);
        if (score > MAX_SCORE) revert ScoreOutOfRange(score, MAX_SCORE);
        bool accepted = verdict == Verdict.Accepted;
        if (accepted) {
            if (bytes(newWeightsCid).length == 0) revert MissingWeightsCid(gradientId);
            Cids.check(newWeightsCid);
        }

        address contributor = g.contributor;
        uint64 previousBest = m.bestScore;
        uint64 best = previousBest;
        uint256 reward;
        --m.pendingCount;
        if (accepted) {
            g.status = GradientStatus.Accepted;
            ++m.version;
            ++m.acceptedCount;
            if (score > previousBest) {
                best = score;
                m.bestScore = score;
                if (m.rule == RewardRule.Improvement) reward = _improvementReward(m, previousBest, score);
            }
        } else {
            g.status = verdict == Verdict.Declined ? GradientStatus.Declined : GradientStatus.Rejected;
        }

        emit GradientEvaluated(
            gradientId,
            modelId,
            contributor,
            verdict,
            previousBest,
            score,
            best,
            m.version,
            reward,
            accepted ? newWeightsCid : ""
        );
        if (reward != 0) {
            address token = m.token;
            credit[contributor][token] += reward;
            emit RewardEarned(modelId, contributor, gradientId, token, reward, RewardKind.Improvement);
        }
        if (best >= m.targetScore && m.status == ModelStatus.Open) {
            m.status = ModelStatus.TargetReached;
            emit TargetReached(modelId, gradientId, best);
        }
        bool refunded = verdict != Verdict.Rejected;
        _releaseStake(m, gradientId, modelId, refunded ? contributor : m.lender, refunded);
    }

    // ------------------------------------------------------------------ anyone

    /// @inheritdoc IModelRepository
    function expireGradient(uint256 gradientId) external {
        Gradient storage g = _gradient(gradientId);
        GradientStatus status = g.status;
        uint40 deadline = g.deadline;
        uint256 modelId = g.modelId;
        Model storage m = _models[modelId];
        address contributor = g.contributor;
        if (status == GradientStatus.Committed) {
            if (block.timestamp <= deadline) revert RevealWindowOpen(gradientId, deadline, block.timestamp);
            g.status = GradientStatus.Lapsed;
            --m.pendingCount;
            emit GradientLapsed(gradientId, modelId, contributor);
            _releaseStake(m, gradientId, modelId, m.lender, false);
        } else if (status == GradientStatus.Pending) {
            if (block.timestamp <= deadline) revert EvaluationWindowOpen(gradientId, deadline, block.timestamp);
            g.status = GradientStatus.Expired;
            --m.pendingCount;
            ++m.expiredCount;
            emit GradientExpired(gradientId, modelId, contributor);
            _releaseStake(m, gradientId, modelId, contributor, true);
        } else {
            revert GradientNotPending(gradientId, status);
        }
    }

    /// @inheritdoc IModelRepository
    function closeModel(uint256 modelId) external nonReentrant {
        Model storage m = _model(modelId);
        ModelStatus status = m.status;
        if (status == ModelStatus.Closed) revert AlreadyClosed(modelId);
        uint256 closableAt = uint256(m.submissionDeadline) + REVEAL_WINDOW + m.evaluationWindow;
        uint32 pending = m.pendingCount;
        bool targetReached = status == ModelStatus.TargetReached;
        if (pending != 0 || (!targetReached && block.timestamp < closableAt)) {
            revert NotClosable(modelId, status, pending, closableAt);
        }

        uint256 total = m.totalBounty;
        uint256 paid = m.paid;
        uint256 leftover = total - paid;
        uint32 shareCount = m.expiredCount;
        if (m.rule == RewardRule.EqualShare) shareCount += m.acceptedCount;
        uint256 share = shareCount == 0 ? 0 : leftover / shareCount;
        uint256 shared = share * shareCount;
        uint256 refund = leftover - shared;
        // third parties get their pro-rata part rounded down; the rounding goes to the lender
        uint256 thirdParty = m.thirdPartyFunded;
        uint256 pool = thirdParty == 0 ? 0 : Math.mulDiv(refund, thirdParty, total);
        uint256 lenderRefund = refund - pool;

        m.status = ModelStatus.Closed;
        m.sharePerGradient = uint128(share);
        m.refundPool = uint128(pool);
        address lender = m.lender;
        address token = m.token;
        if (lenderRefund != 0) credit[lender][token] += lenderRefund;

        emit ModelClosed(
            modelId,
            msg.sender,
            targetReached ? CloseReason.TargetReached : CloseReason.Deadline,
            paid,
            shared,
            shareCount,
            share,
            refund
        );
        if (lenderRefund != 0) emit Refunded(modelId, lender, token, lenderRefund);
    }

    /// @inheritdoc IModelRepository
    function claimShare(uint256 gradientId) external {
        Gradient storage g = _gradient(gradientId);
        uint256 modelId = g.modelId;
        Model storage m = _models[modelId];
        if (m.status != ModelStatus.Closed) revert ModelNotClosed(modelId);
        GradientStatus status = g.status;
        RewardKind kind;
        if (status == GradientStatus.Expired) {
            kind = RewardKind.ExpiredShare;
        } else if (status == GradientStatus.Accepted && m.rule == RewardRule.EqualShare) {
            kind = RewardKind.EqualShare;
        } else {
            revert NothingToClaim(gradientId, status);
        }
        if (g.shareClaimed) revert AlreadyClaimed(gradientId);

        g.shareClaimed = true;
        address contributor = g.contributor;
        address token = m.token;
        uint256 amount = m.sharePerGradient;
        credit[contributor][token] += amount;
        emit RewardEarned(modelId, contributor, gradientId, token, amount, kind);
    }

    /// @inheritdoc IModelRepository
    function claimRefund(uint256 modelId) external {
        Model storage m = _model(modelId);
        if (m.status != ModelStatus.Closed) revert ModelNotClosed(modelId);
        uint256 put = funded[modelId][msg.sender];
        if (put == 0) revert NothingToRefund(modelId, msg.sender);
        uint256 funds = m.thirdPartyFunded;
        uint256 pool = m.refundPool;
        // each funder's part rounded down, whatever the order of claims; the last claimant takes
        // what is left of the pool (its part plus the others' rounding), so no dust stays locked
        uint256 amount = put == funds ? pool : Math.mulDiv(_refundOf(m), put, m.totalBounty);
        funded[modelId][msg.sender] = 0;
        m.thirdPartyFunded = uint128(funds - put);
        m.refundPool = uint128(pool - amount);
        address token = m.token;
        credit[msg.sender][token] += amount;
        emit Refunded(modelId, msg.sender, token, amount);
    }

    /// @inheritdoc IModelRepository
    function withdraw(address token, address to) external nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert ZeroAddress();
        uint256 owedToCaller = credit[msg.sender][token];
        if (owedToCaller == 0) revert NothingToWithdraw(msg.sender, token);
        credit[msg.sender][token] = 0;
        if (token == address(0)) {
            amount = owedToCaller;
            emit Withdrawal(msg.sender, token, to, amount);
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert EthTransferFailed(to, amount);
        } else {
            // a claim on the balance, not a fixed amount: a rebasing token's gains or losses are
            // shared pro rata, and the last claim takes whatever is left
            uint256 totalOwed = owed[token];
            amount = Math.mulDiv(owedToCaller, IERC20(token).balanceOf(address(this)), totalOwed);
            owed[token] = totalOwed - owedToCaller;
            emit Withdrawal(msg.sender, token, to, amount);
            IERC20(token).safeTransfer(to, amount);
        }
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IModelRepository
    function modelCount() external view returns (uint256) {
        return _modelCount;
    }

    /// @inheritdoc IModelRepository
    function gradientCount() external view returns (uint256) {
        return _gradientCount;
    }

    /// @notice The stored state of a model (reverts for unknown ids). Indexers need not call it.
    function getModel(uint256 modelId) external view returns (Model memory) {
        return _model(modelId);
    }

    /// @notice The stored state of a gradient (reverts for unknown ids).
    function getGradient(uint256 gradientId) external view returns (Gradient memory) {
        return _gradient(gradientId);
    }

    // ------------------------------------------------------------------ internals

    function _model(uint256 modelId) private view returns (Model storage m) {
        m = _models[modelId];
        if (m.status == ModelStatus.None) revert UnknownModel(modelId);
    }

    function _gradient(uint256 gradientId) private view returns (Gradient storage g) {
        g = _gradients[gradientId];
        if (g.status == GradientStatus.None) revert UnknownGradient(gradientId);
    }

    /// @dev The whole refund of a closed model: what neither rewards nor shares took.
    function _refundOf(Model storage m) private view returns (uint256) {
        uint256 shareCount = m.expiredCount;
        if (m.rule == RewardRule.EqualShare) shareCount += m.acceptedCount;
        return uint256(m.totalBounty) - m.paid - uint256(m.sharePerGradient) * shareCount;
    }

    function _seal(
        address contributor,
        uint256 modelId,
        bytes32 dataCommitment,
        string calldata gradientCid,
        bytes32 salt
    ) private pure returns (bytes32) {
        return keccak256(abi.encode(contributor, modelId, dataCommitment, keccak256(bytes(gradientCid)), salt));
    }

    function _releaseStake(Model storage m, uint256 gradientId, uint256 modelId, address to, bool refunded) private {
        uint96 stake = m.submissionStake;
        credit[to][address(0)] += stake;
        emit StakeReleased(gradientId, modelId, to, stake, refunded);
    }

    /// @dev bounty * (min(score, target) - min(previousBest, target)) / (target - initial),
    /// capped at the escrow left; scores above the target earn nothing more.
    function _improvementReward(Model storage m, uint64 previousBest, uint64 score)
        private
        returns (uint256 reward)
    {
        uint64 target = m.targetScore;
        uint64 from = previousBest < target ? previousBest : target;
        uint64 to = score < target ? score : target;
        if (to <= from) return 0;
        uint256 total = m.totalBounty;
        uint256 paid = m.paid;
        reward = total * (to - from) / (target - m.initialScore);
        uint256 left = total - paid;
        if (reward > left) reward = left;
        m.paid = uint128(paid + reward);
    }

    /// @dev Takes `amount` of `token` from the caller, refuses tokens that deliver less, and
    /// counts it as owed (escrow until credited).
    function _pullToken(address token, uint256 amount) private {
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 balance = IERC20(token).balanceOf(address(this));
        uint256 received = balance > before ? balance - before : 0;
        if (received != amount) revert FeeOnTransferToken(token, amount, received);
        owed[token] += amount;
    }

}
