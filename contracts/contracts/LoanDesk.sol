// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ILoanDesk} from "./interfaces/ILoanDesk.sol";
import {IModelRepository} from "./interfaces/IModelRepository.sol";
import {ModelRepository} from "./ModelRepository.sol";
import {Cids} from "./libraries/Cids.sol";

/// @title Hessian loan desk
/// @notice See ILoanDesk. Deployments of trained models, encrypted quotes, loan requests and
/// their decisions. The desk records; it never holds or moves funds (nothing here is payable).
/// @dev The repository is read, never written: a deployment copies the model's lender check,
/// status, best score and version at the moment it is made. Storage keeps only what validation
/// needs (who may act, status, the requested amount); CIDs live only in events.
contract LoanDesk is ILoanDesk {
    /// @notice Longest CID argument (the bound Cids.check enforces, as in the repository).
    uint256 public constant MAX_CID_LENGTH = Cids.MAX_LENGTH;
    /// @notice Metric names are short labels ("auc", "accuracy").
    uint256 public constant MAX_METRIC_LENGTH = 16;
    /// @notice Ten years.
    uint32 public constant MAX_TERM_DAYS = 3650;
    /// @notice 1000 % a year: anything above is a typo, not a price.
    uint32 public constant MAX_RATE_BPS = 100_000;

    struct Deployment {
        // slot 0: what retire and every borrower call check
        address lender;
        /// @dev repository model ids are counted in a uint128; 2^88 is out of reach as well
        uint88 modelId;
        DeploymentStatus status;
        // slot 1
        address service;
        // slot 2
        address token;
    }

    // 160 + 40 + 48 + 8 bits: exactly one slot, so requestLoan marks the quote used in place
    // solhint-disable-next-line gas-struct-packing
    struct Quote {
        address borrower;
        uint40 deploymentId;
        /// the loan request filed against this quote (0: none yet)
        uint48 requestId;
        QuoteStatus status;
    }

    struct LoanRequest {
        // slot 0
        address borrower;
        uint40 deploymentId;
        LoanStatus status;
        // slot 1: bound of the approved amount
        uint256 amount;
    }

    ModelRepository private immutable _REPOSITORY;

    /// @dev One slot for the three counters: after the first deployment every new id is a warm rewrite.
    uint64 private _deploymentCount;
    uint64 private _quoteCount;
    uint64 private _loanRequestCount;

    mapping(uint256 deploymentId => Deployment) private _deployments;
    mapping(uint256 quoteId => Quote) private _quotes;
    mapping(uint256 requestId => LoanRequest) private _loanRequests;

    /// @param repository_ the ModelRepository whose models this desk deploys
    constructor(address repository_) {
        if (repository_ == address(0)) revert ZeroAddress();
        _REPOSITORY = ModelRepository(repository_);
    }

    // ------------------------------------------------------------------ lender

    /// @inheritdoc ILoanDesk
    function deployModel(DeployParams calldata params) external returns (uint256 deploymentId) {
        uint256 modelId = params.modelId;
        // getModel reverts for unknown ids with the repository's own error; this one is the desk's
        if (modelId == 0 || modelId > _REPOSITORY.modelCount()) revert UnknownModel(modelId);
        ModelRepository.Model memory model = _REPOSITORY.getModel(modelId);
        if (msg.sender != model.lender) revert NotModelLender(modelId, msg.sender, model.lender);
        if (model.status != IModelRepository.ModelStatus.TargetReached && model.status != IModelRepository.ModelStatus.Closed) {
            revert ModelNotTrained(modelId, uint8(model.status));
        }
        Cids.check(params.weightsCid);
        Cids.check(params.serviceCid);
        uint256 metricLength = bytes(params.metric).length;
        if (metricLength == 0 || metricLength > MAX_METRIC_LENGTH) revert InvalidMetric();
        if (params.weightsCommitment == bytes32(0)) revert ZeroCommitment();

        address service = params.service == address(0) ? msg.sender : params.service;
        deploymentId = ++_deploymentCount;
        _deployments[deploymentId] = Deployment({
            lender: msg.sender,
            modelId: SafeCast.toUint88(modelId),
            status: DeploymentStatus.Active,
            service: service,
            token: params.token
        });
        emit ModelDeployed(
            deploymentId,
            modelId,
            msg.sender,
            service,
            params.token,
            model.version,
            model.bestScore,
            model.targetScore,
            model.bestScore >= model.targetScore,
            params.weightsCommitment,
            params.metric,
            params.weightsCid,
            params.serviceCid
        );
    }

    /// @inheritdoc ILoanDesk
    function retireDeployment(uint256 deploymentId) external {
        Deployment storage d = _deployment(deploymentId);
        address lender = d.lender;
        if (msg.sender != lender) revert NotDeploymentLender(deploymentId, msg.sender, lender);
        if (d.status != DeploymentStatus.Active) revert DeploymentNotActive(deploymentId, d.status);
        d.status = DeploymentStatus.Retired;
        emit DeploymentRetired(deploymentId, d.modelId, lender);
    }

    // ------------------------------------------------------------------ borrowers

    /// @inheritdoc ILoanDesk
    function requestQuote(uint256 deploymentId, string calldata queryCid) external returns (uint256 quoteId) {
        Deployment storage d = _deployment(deploymentId);
        if (d.status != DeploymentStatus.Active) revert DeploymentNotActive(deploymentId, d.status);
        Cids.check(queryCid);
        quoteId = ++_quoteCount;
        _quotes[quoteId] = Quote({
            borrower: msg.sender,
            deploymentId: SafeCast.toUint40(deploymentId),
            requestId: 0,
            status: QuoteStatus.Requested
        });
        emit QuoteRequested(quoteId, deploymentId, msg.sender, queryCid);
    }

    /// @inheritdoc ILoanDesk
    function requestLoan(uint256 quoteId, uint256 amount, uint32 termDays, string calldata disclosureCid)
        external
        returns (uint256 requestId)
    {
        Quote storage q = _quote(quoteId);
        if (msg.sender != q.borrower) revert NotQuoteBorrower(quoteId, msg.sender, q.borrower);
        if (q.status != QuoteStatus.Answered) revert QuoteNotAnswered(quoteId, q.status);
        if (q.requestId != 0) revert QuoteAlreadyUsed(quoteId, q.requestId);
        uint256 deploymentId = q.deploymentId;
        Deployment storage d = _deployments[deploymentId];
        if (d.status != DeploymentStatus.Active) revert DeploymentNotActive(deploymentId, d.status);
        if (amount == 0) revert ZeroAmount();
        if (termDays == 0 || termDays > MAX_TERM_DAYS) revert InvalidTerm(termDays, MAX_TERM_DAYS);
        Cids.check(disclosureCid);

        requestId = ++_loanRequestCount;
        q.requestId = SafeCast.toUint48(requestId);
        _loanRequests[requestId] = LoanRequest({
            borrower: msg.sender,
            deploymentId: uint40(deploymentId),
            status: LoanStatus.Pending,
            amount: amount
        });
        emit LoanRequested(requestId, deploymentId, msg.sender, quoteId, d.token, amount, termDays, disclosureCid);
    }

    /// @inheritdoc ILoanDesk
    function cancelLoanRequest(uint256 requestId) external {
        LoanRequest storage r = _loanRequest(requestId);
        if (msg.sender != r.borrower) revert NotLoanBorrower(requestId, msg.sender, r.borrower);
        if (r.status != LoanStatus.Pending) revert LoanRequestNotPending(requestId, r.status);
        r.status = LoanStatus.Cancelled;
        emit LoanRequestCancelled(requestId, r.deploymentId, msg.sender);
    }

    // ------------------------------------------------------------------ service

    /// @inheritdoc ILoanDesk
    function answerQuote(uint256 quoteId, string calldata resultCid) external {
        Quote storage q = _quote(quoteId);
        uint256 deploymentId = q.deploymentId;
        _onlyService(deploymentId);
        if (q.status != QuoteStatus.Requested) revert QuoteNotRequested(quoteId, q.status);
        Cids.check(resultCid);
        q.status = QuoteStatus.Answered;
        emit QuoteAnswered(quoteId, deploymentId, q.borrower, resultCid);
    }

    /// @inheritdoc ILoanDesk
    function decideLoan(uint256 requestId, bool approved, uint256 amount, uint32 rateBps, DecisionReason reason)
        external
    {
        LoanRequest storage r = _loanRequest(requestId);
        uint256 deploymentId = r.deploymentId;
        _onlyService(deploymentId);
        if (r.status != LoanStatus.Pending) revert LoanRequestNotPending(requestId, r.status);
        if (approved) {
            bool reasonFits =
                reason == DecisionReason.Priced || reason == DecisionReason.AmountAboveLimit || reason == DecisionReason.Manual;
            if (amount == 0 || amount > r.amount || !reasonFits) {
                revert InvalidDecision(requestId, approved, amount, rateBps, reason);
            }
            if (rateBps > MAX_RATE_BPS) revert RateTooHigh(rateBps, MAX_RATE_BPS);
        } else if (amount != 0 || rateBps != 0 || reason == DecisionReason.Priced) {
            revert InvalidDecision(requestId, approved, amount, rateBps, reason);
        }
        r.status = approved ? LoanStatus.Approved : LoanStatus.Declined;
        emit LoanDecided(requestId, deploymentId, r.borrower, approved, amount, rateBps, reason);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ILoanDesk
    function repository() external view returns (address) {
        return address(_REPOSITORY);
    }

    /// @inheritdoc ILoanDesk
    function deploymentCount() external view returns (uint256) {
        return _deploymentCount;
    }

    /// @inheritdoc ILoanDesk
    function quoteCount() external view returns (uint256) {
        return _quoteCount;
    }

    /// @inheritdoc ILoanDesk
    function loanRequestCount() external view returns (uint256) {
        return _loanRequestCount;
    }

    /// @notice The stored state of a deployment (reverts for unknown ids). Indexers need not call it.
    function getDeployment(uint256 deploymentId) external view returns (Deployment memory) {
        return _deployment(deploymentId);
    }

    /// @notice The stored state of a quote (reverts for unknown ids).
    function getQuote(uint256 quoteId) external view returns (Quote memory) {
        return _quote(quoteId);
    }

    /// @notice The stored state of a loan request (reverts for unknown ids).
    function getLoanRequest(uint256 requestId) external view returns (LoanRequest memory) {
        return _loanRequest(requestId);
    }

    // ------------------------------------------------------------------ internals

    function _deployment(uint256 deploymentId) private view returns (Deployment storage d) {
        d = _deployments[deploymentId];
        if (d.status == DeploymentStatus.None) revert UnknownDeployment(deploymentId);
    }

    function _quote(uint256 quoteId) private view returns (Quote storage q) {
        q = _quotes[quoteId];
        if (q.status == QuoteStatus.None) revert UnknownQuote(quoteId);
    }

    function _loanRequest(uint256 requestId) private view returns (LoanRequest storage r) {
        r = _loanRequests[requestId];
        if (r.status == LoanStatus.None) revert UnknownLoanRequest(requestId);
    }

    function _onlyService(uint256 deploymentId) private view {
        address service = _deployments[deploymentId].service;
        if (msg.sender != service) revert NotService(deploymentId, msg.sender, service);
    }

}
