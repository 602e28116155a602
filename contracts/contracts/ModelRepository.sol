// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IModelRepository} from "./interfaces/IModelRepository.sol";

/// @title Hessian model repository
/// @notice See IModelRepository. Escrow accounting per model: totalBounty = paid + (escrow left);
/// at close the escrow left is split into shares (held until claimed) and a refund (credited).
/// @dev Storage is packed so that submitGradient writes one new gradient slot plus the
/// commitment flag, and evaluateGradient rewrites the gradient slot and two model slots (three
/// with an Improvement reward) plus the contributor's credit. CIDs live only in events.
contract ModelRepository is IModelRepository, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Fixed-point scale of scores: 1.0 (e.g. AUC 1) = 1e6.
    uint64 public constant SCORE_SCALE = 1e6;
    /// @notice Scores are fractions in [0, 1] (AUC, accuracy, ...), so at most SCORE_SCALE.
    uint64 public constant MAX_SCORE = SCORE_SCALE;
    /// @notice CIDv1 base32 sha2-256 strings are 59 bytes; this leaves room for longer hashes.
    uint256 public constant MAX_CID_LENGTH = 128;
    /// @notice Longest evaluation window: a lender cannot park gradients (and their stakes) for years.
    uint32 public constant MAX_EVALUATION_WINDOW = 30 days;

    struct Model {
        // slot 0
        address lender;
        uint96 submissionStake;
        // slot 1
        address token;
        uint64 submissionDeadline;
        uint32 evaluationWindow;
        // slot 2: what submit and evaluate update together
        address evaluator;
        RewardRule rule;
        ModelStatus status;
        /// number of accepted updates
        uint32 version;
        uint32 pendingCount;
        // slot 3
        uint64 initialScore;
        uint64 targetScore;
        uint64 bestScore;
        uint32 acceptedCount;
        uint32 expiredCount;
        // slot 4
        uint128 totalBounty;
        /// rewards credited before close (Improvement rule)
        uint128 paid;
        // slot 5: set at close
        uint128 sharePerGradient;
    }

    // 160 + 40 + 40 + 8 + 8 bits: exactly one slot
    // solhint-disable-next-line gas-struct-packing
    struct Gradient {
        address contributor;
        uint40 modelId;
        uint40 evaluationDeadline;
        GradientStatus status;
        bool shareClaimed;
    }

    mapping(address account => mapping(address token => uint256 amount)) public credit;
    /// @dev One slot: once the first model exists it is non-zero, so no submission ever pays
    /// for a fresh storage slot to count gradients.
    uint128 private _modelCount;
    uint128 private _gradientCount;
    mapping(uint256 modelId => mapping(bytes32 dataCommitment => bool used)) public commitmentUsed;

    mapping(uint256 modelId => Model) private _models;
    mapping(uint256 gradientId => Gradient) private _gradients;

    // ------------------------------------------------------------------ lender

    /// @inheritdoc IModelRepository
    function createModel(CreateModelParams calldata p) external payable nonReentrant returns (uint256 modelId) {
        if (p.targetScore <= p.initialScore || p.targetScore > MAX_SCORE) {
            revert InvalidScores(p.initialScore, p.targetScore);
        }
        if (p.submissionDeadline <= block.timestamp) revert DeadlineInPast(p.submissionDeadline, block.timestamp);
        if (p.evaluationWindow == 0) revert ZeroEvaluationWindow();
        if (p.evaluationWindow > MAX_EVALUATION_WINDOW) {
            revert EvaluationWindowTooLong(p.evaluationWindow, MAX_EVALUATION_WINDOW);
        }
        _checkCid(p.weightsCid);
        _checkCid(p.metadataCid);

        uint256 bounty;
        if (p.token == address(0)) {
            if (p.bounty != 0 && p.bounty != msg.value) revert EthValueMismatch(p.bounty, msg.value);
            bounty = msg.value;
            if (bounty == 0) revert ZeroBounty();
        } else {
            if (msg.value != 0) revert UnexpectedEth(msg.value);
            if (p.bounty == 0) revert ZeroBounty();
            bounty = _pullToken(p.token, p.bounty);
        }
        if (bounty > type(uint128).max) revert AmountTooLarge(bounty);

        modelId = ++_modelCount;
        address evaluator = p.evaluator == address(0) ? msg.sender : p.evaluator;
        Model storage m = _models[modelId];
        m.lender = msg.sender;
        m.submissionStake = p.submissionStake;
        m.token = p.token;
        m.submissionDeadline = p.submissionDeadline;
        m.evaluationWindow = p.evaluationWindow;
        m.evaluator = evaluator;
        m.rule = p.rule;
        m.status = ModelStatus.Open;
        m.initialScore = p.initialScore;
        m.targetScore = p.targetScore;
        m.bestScore = p.initialScore;
        m.totalBounty = uint128(bounty);

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
        } else {
            if (msg.value != 0) revert UnexpectedEth(msg.value);
            _pullToken(token, amount);
        }
        uint256 total = uint256(m.totalBounty) + amount;
        if (total > type(uint128).max) revert AmountTooLarge(total);
        m.totalBounty = uint128(total);
        emit BountyAdded(modelId, msg.sender, token, amount, total);
    }

    // ------------------------------------------------------------------ data owners

    /// @inheritdoc IModelRepository
    function submitGradient(uint256 modelId, string calldata gradientCid, bytes32 dataCommitment)
        external
        payable
        returns (uint256 gradientId)
    {
        Model storage m = _model(modelId);
        if (m.status != ModelStatus.Open) revert ModelNotOpen(modelId, m.status);
        uint64 deadline = m.submissionDeadline;
        if (block.timestamp >= deadline) revert SubmissionsClosed(modelId, deadline, block.timestamp);
        _checkCid(gradientCid);
        if (dataCommitment == bytes32(0)) revert ZeroCommitment();
        if (commitmentUsed[modelId][dataCommitment]) revert CommitmentAlreadyUsed(modelId, dataCommitment);
        uint96 stake = m.submissionStake;
        if (msg.value != stake) revert EthValueMismatch(stake, msg.value);

        commitmentUsed[modelId][dataCommitment] = true;
        ++m.pendingCount;
        gradientId = ++_gradientCount;
        uint40 evaluationDeadline = SafeCast.toUint40(block.timestamp + m.evaluationWindow);
        _gradients[gradientId] = Gradient({
            contributor: msg.sender,
            modelId: SafeCast.toUint40(modelId),
            evaluationDeadline: evaluationDeadline,
            status: GradientStatus.Pending,
            shareClaimed: false
        });
        emit GradientSubmitted(
            gradientId, modelId, msg.sender, dataCommitment, m.version, stake, evaluationDeadline, gradientCid
        );
    }

    // ------------------------------------------------------------------ evaluator

    /// @inheritdoc IModelRepository
    function evaluateGradient(uint256 gradientId, uint64 score, bool accepted, string calldata newWeightsCid)
        external
    {
        Gradient storage g = _gradient(gradientId);
        uint256 modelId = g.modelId;
        Model storage m = _models[modelId];
        if (msg.sender != m.evaluator) revert NotEvaluator(modelId, msg.sender, m.evaluator);
        if (g.status != GradientStatus.Pending) revert GradientNotPending(gradientId, g.status);
        if (block.timestamp > g.evaluationDeadline) {
            revert EvaluationWindowOver(gradientId, g.evaluationDeadline, block.timestamp);
        }
        if (score > MAX_SCORE) revert ScoreOutOfRange(score, MAX_SCORE);
        if (accepted) {
            if (bytes(newWeightsCid).length == 0) revert MissingWeightsCid(gradientId);
            _checkCid(newWeightsCid);
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
            g.status = GradientStatus.Rejected;
        }

        emit GradientEvaluated(
            gradientId,
            modelId,
            contributor,
            accepted,
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
        uint96 stake = m.submissionStake;
        if (stake != 0) {
            address to = accepted ? contributor : m.lender;
            credit[to][address(0)] += stake;
            emit StakeReleased(gradientId, modelId, to, stake, accepted);
        }
    }

    // ------------------------------------------------------------------ anyone

    /// @inheritdoc IModelRepository
    function expireGradient(uint256 gradientId) external {
        Gradient storage g = _gradient(gradientId);
        if (g.status != GradientStatus.Pending) revert GradientNotPending(gradientId, g.status);
        if (block.timestamp <= g.evaluationDeadline) {
            revert EvaluationWindowOpen(gradientId, g.evaluationDeadline, block.timestamp);
        }
        uint256 modelId = g.modelId;
        Model storage m = _models[modelId];
        address contributor = g.contributor;
        g.status = GradientStatus.Expired;
        --m.pendingCount;
        ++m.expiredCount;
        emit GradientExpired(gradientId, modelId, contributor);
        uint96 stake = m.submissionStake;
        if (stake != 0) {
            credit[contributor][address(0)] += stake;
            emit StakeReleased(gradientId, modelId, contributor, stake, true);
        }
    }

    /// @inheritdoc IModelRepository
    function closeModel(uint256 modelId) external {
        Model storage m = _model(modelId);
        ModelStatus status = m.status;
        if (status == ModelStatus.Closed) revert AlreadyClosed(modelId);
        uint256 closableAt = uint256(m.submissionDeadline) + m.evaluationWindow;
        uint32 pending = m.pendingCount;
        bool targetReached = status == ModelStatus.TargetReached;
        if (pending != 0 || (!targetReached && block.timestamp < closableAt)) {
            revert NotClosable(modelId, status, pending, closableAt);
        }

        uint256 paid = m.paid;
        uint256 leftover = m.totalBounty - paid;
        uint32 shareCount = m.expiredCount;
        if (m.rule == RewardRule.EqualShare) shareCount += m.acceptedCount;
        uint256 share = shareCount == 0 ? 0 : leftover / shareCount;
        uint256 shared = share * shareCount;
        uint256 refund = leftover - shared;

        m.status = ModelStatus.Closed;
        m.sharePerGradient = uint128(share);
        address lender = m.lender;
        address token = m.token;
        if (refund != 0) credit[lender][token] += refund;

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
        if (refund != 0) emit Refunded(modelId, lender, token, refund);
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
    function withdraw(address token, address to) external nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert ZeroAddress();
        amount = credit[msg.sender][token];
        if (amount == 0) revert NothingToWithdraw(msg.sender, token);
        credit[msg.sender][token] = 0;
        emit Withdrawal(msg.sender, token, to, amount);
        if (token == address(0)) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert EthTransferFailed(to, amount);
        } else {
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

    /// @dev Takes `amount` of `token` from the caller and refuses tokens that deliver less.
    function _pullToken(address token, uint256 amount) private returns (uint256) {
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 balance = IERC20(token).balanceOf(address(this));
        uint256 received = balance > before ? balance - before : 0;
        if (received != amount) revert FeeOnTransferToken(token, amount, received);
        return amount;
    }

    function _checkCid(string calldata cid) private pure {
        uint256 len = bytes(cid).length;
        if (len == 0) revert EmptyCid();
        if (len > MAX_CID_LENGTH) revert CidTooLong(len, MAX_CID_LENGTH);
    }
}
