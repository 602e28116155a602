// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Hessian loan desk
/// @notice Model deployment: a lender deploys a model trained through ModelRepository; borrowers
/// ask it for encrypted quotes and file loan requests; the deployment's service records decisions.
/// @dev Kept apart from ModelRepository so the repository's escrow invariants stay untouched: the
/// desk only reads the repository (lender, status, best score) and never holds funds. Borrower
/// features never appear here: a quote request carries the CID of a query encrypted under the
/// borrower's own CKKS key, the answer the CID of a result only the borrower can decrypt, and a
/// loan request the CID of a disclosure sealed to the service's key (what the borrower chose to
/// reveal). Every state change emits one event carrying everything an indexer needs.
interface ILoanDesk {
    enum DeploymentStatus {
        None,
        /// answering quotes and taking loan requests
        Active,
        /// no new quotes or loan requests; pending ones may still be answered and decided
        Retired
    }

    enum QuoteStatus {
        None,
        Requested,
        Answered
    }

    enum LoanStatus {
        None,
        Pending,
        Approved,
        Declined,
        /// withdrawn by the borrower before a decision
        Cancelled
    }

    /// @notice Why a loan request was decided the way it was (an adverse-action reason when declined).
    enum DecisionReason {
        /// approved at the rate the deployment's published pricing rule gives for the disclosed score
        Priced,
        /// predicted default probability above the pricing rule's cut-off
        RiskTooHigh,
        /// the priced rate would exceed the pricing rule's maximum rate
        RateAboveCap,
        /// requested amount above the pricing rule's limit (approved amounts may also be reduced)
        AmountAboveLimit,
        /// the disclosure was missing, malformed, or its score failed the quote's authentication tag
        InvalidDisclosure,
        /// decided by hand, outside the pricing rule
        Manual
    }

    // calldata only, never stored
    // solhint-disable-next-line gas-struct-packing
    struct DeployParams {
        uint256 modelId;
        /// CID of the model's encrypted weights document at the deployed version (its lineage in the repository)
        string weightsCid;
        /// commitment to the plaintext weights the service computes with (e.g. sha256 of salt ++ weights),
        /// so an auditor shown the weights can check the service used the deployed model
        bytes32 weightsCommitment;
        /// CID of the service document: feature encoding, CKKS parameters borrowers must use, pricing rule,
        /// the service's disclosure key
        string serviceCid;
        /// metric the score was measured with, as in the model metadata (e.g. "auc"); 1..16 bytes
        string metric;
        /// loan currency: address(0) for ETH, otherwise an ERC-20 (amounts are in its base units)
        address token;
        /// answers quotes and decides loan requests; address(0) means the lender itself
        address service;
    }

    // ---------------------------------------------------------------- events
    /// @notice `score`, `targetScore` and `modelVersion` are read from ModelRepository, not claimed by the lender.
    event ModelDeployed(
        uint256 indexed deploymentId,
        uint256 indexed modelId,
        address indexed lender,
        address service,
        address token,
        uint32 modelVersion,
        uint64 score,
        uint64 targetScore,
        bool targetReached,
        bytes32 weightsCommitment,
        string metric,
        string weightsCid,
        string serviceCid
    );

    event DeploymentRetired(uint256 indexed deploymentId, uint256 indexed modelId, address indexed lender);

    event QuoteRequested(uint256 indexed quoteId, uint256 indexed deploymentId, address indexed borrower, string queryCid);

    event QuoteAnswered(uint256 indexed quoteId, uint256 indexed deploymentId, address indexed borrower, string resultCid);

    event LoanRequested(
        uint256 indexed requestId,
        uint256 indexed deploymentId,
        address indexed borrower,
        uint256 quoteId,
        address token,
        uint256 amount,
        uint32 termDays,
        string disclosureCid
    );

    /// @notice `amount` is the approved amount (at most the requested one; 0 when declined);
    /// `rateBps` the yearly interest rate in basis points (0 when declined).
    event LoanDecided(
        uint256 indexed requestId,
        uint256 indexed deploymentId,
        address indexed borrower,
        bool approved,
        uint256 amount,
        uint32 rateBps,
        DecisionReason reason
    );

    event LoanRequestCancelled(uint256 indexed requestId, uint256 indexed deploymentId, address indexed borrower);

    // ---------------------------------------------------------------- errors
    error ZeroAddress();
    error UnknownModel(uint256 modelId);
    error NotModelLender(uint256 modelId, address caller, address lender);
    /// @notice Only models whose training is over (target reached or closed) can be deployed.
    error ModelNotTrained(uint256 modelId, uint8 status);
    // EmptyCid() and CidTooLong(length, max): file-level in libraries/Cids.sol, beside the CID check
    // both contracts share (the contract's ABI lists them)
    error InvalidMetric();
    error ZeroCommitment();
    error UnknownDeployment(uint256 deploymentId);
    error DeploymentNotActive(uint256 deploymentId, DeploymentStatus status);
    error NotDeploymentLender(uint256 deploymentId, address caller, address lender);
    error NotService(uint256 deploymentId, address caller, address service);
    error UnknownQuote(uint256 quoteId);
    error QuoteNotRequested(uint256 quoteId, QuoteStatus status);
    error QuoteNotAnswered(uint256 quoteId, QuoteStatus status);
    error NotQuoteBorrower(uint256 quoteId, address caller, address borrower);
    /// @notice One loan request per quote: a new request needs a new quote.
    error QuoteAlreadyUsed(uint256 quoteId, uint256 requestId);
    error ZeroAmount();
    error InvalidTerm(uint32 termDays, uint32 max);
    error UnknownLoanRequest(uint256 requestId);
    error LoanRequestNotPending(uint256 requestId, LoanStatus status);
    error NotLoanBorrower(uint256 requestId, address caller, address borrower);
    /// @notice Approved: 0 < amount <= requested and reason Priced, AmountAboveLimit or Manual.
    /// Declined: amount 0, rate 0, reason anything but Priced.
    error InvalidDecision(uint256 requestId, bool approved, uint256 amount, uint32 rateBps, DecisionReason reason);
    error RateTooHigh(uint32 rateBps, uint32 max);

    // ---------------------------------------------------------------- lender
    /// @notice Only the model's lender, once its status is TargetReached or Closed. A model may be
    /// deployed more than once (e.g. with another pricing rule); each deployment has its own id.
    /// @return deploymentId ids start at 1
    function deployModel(DeployParams calldata params) external returns (uint256 deploymentId);

    /// @notice Only the deployment's lender.
    function retireDeployment(uint256 deploymentId) external;

    // ---------------------------------------------------------------- borrowers
    /// @notice Any address, on an active deployment. `queryCid` names the borrower's encrypted query.
    /// @return quoteId ids start at 1, global across deployments
    function requestQuote(uint256 deploymentId, string calldata queryCid) external returns (uint256 quoteId);

    /// @notice Only the quote's borrower, once the quote is answered, once per quote, on an active deployment.
    /// @return requestId ids start at 1, global across deployments
    function requestLoan(uint256 quoteId, uint256 amount, uint32 termDays, string calldata disclosureCid)
        external
        returns (uint256 requestId);

    /// @notice Only the request's borrower, while pending.
    function cancelLoanRequest(uint256 requestId) external;

    // ---------------------------------------------------------------- service
    /// @notice Only the deployment's service, once per quote (also after retirement).
    function answerQuote(uint256 quoteId, string calldata resultCid) external;

    /// @notice Only the deployment's service, once per pending request (also after retirement).
    function decideLoan(uint256 requestId, bool approved, uint256 amount, uint32 rateBps, DecisionReason reason) external;

    // ---------------------------------------------------------------- views
    function repository() external view returns (address);

    function deploymentCount() external view returns (uint256);

    function quoteCount() external view returns (uint256);

    function loanRequestCount() external view returns (uint256);
}
