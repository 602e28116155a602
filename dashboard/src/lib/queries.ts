// GraphQL documents, one per page: each page is one round trip, plus one per further 1,000 rows
// of a list marked `@paged` (paging.ts: keyset cursors, pinned to the first answer's block). Every document takes an optional
// $block (graph-node's Block_height) for time travel; when it is absent the latest block answers.
// `subgraphError: allow`: after an indexing failure graph-node still answers with the data up to
// the failed block (flagged `indexing_error`) instead of no data; the app shows it under a banner.
import { gql, type DocumentNode } from '@apollo/client';

export const META = gql`
  query Meta {
    _meta {
      block {
        number
        hash
        timestamp
      }
      deployment
      hasIndexingErrors
    }
  }
`;

// Loan desk rows (Deployment, LoanRequest), shared by the loans, deployment, model and account pages.
const DEPLOYMENT_ROW = `
  id
  deploymentId
  model { id }
  lender { id }
  service
  token
  status
  modelVersion
  score
  targetScore
  targetReached
  metric
  serviceCid
  quoteCount
  answeredQuoteCount
  loanRequestCount
  pendingLoanCount
  approvedCount
  declinedCount
  cancelledCount
  approvedAmount
  averageRateBps
  deployedAt
  deployedAtBlock
  transactionHash
  retiredAt
`;

const LOAN_ROW = `
  id
  requestId
  deployment { id model { id } }
  quote { id }
  borrower { id }
  token
  amount
  termDays
  disclosureCid
  status
  approved
  approvedAmount
  rateBps
  reason
  requestedAt
  requestedAtBlock
  transactionHash
  decidedAt
  decisionTransactionHash
  cancelledAt
`;

const LOAN_COUNTERS = `
  deploymentCount
  activeDeploymentCount
  quoteCount
  answeredQuoteCount
  loanRequestCount
  approvedLoanCount
  declinedLoanCount
`;

// One contributor's record on one model (ModelContributor), seen from the model and from the account.
const CONTRIBUTION_STATS = `
  gradientsSubmitted
  gradientsAccepted
  gradientsRejected
  gradientsDeclined
  gradientsExpired
  gradientsLapsed
  committedCount
  pendingCount
  rewardsEarned
  improvementContributed
  dpEpsilonSpent
  bestScore
`;

const MODEL_ROW = `
  id
  modelId
  lender { id }
  token { id }
  rule
  status
  initialScore
  targetScore
  bestScore
  progress
  bounty
  paid
  refunded
  bountyLeft
  gradientCount
  acceptedCount
  committedCount
  pendingCount
  contributorCount
  submissionDeadline
  createdAt
  lastActivityAt
`;

// Every page query opens with the block it answers as of (the time travel's clock and the
// freshness shown); record pages fetch one entity by id at that block.
const VIEWED_BLOCK = '_meta(block: $block) { block { number timestamp } }';

function recordQuery(name: string, entity: string, selection: string): DocumentNode {
  return gql(`
    query ${name}($id: ID!, $block: Block_height) {
      ${VIEWED_BLOCK}
      ${entity}(id: $id, block: $block, subgraphError: allow) {${selection}}
    }
  `);
}

export const OVERVIEW = gql`
  query Overview($block: Block_height) {
    ${VIEWED_BLOCK}
    protocol(id: "hessian", block: $block, subgraphError: allow) {
      modelCount
      openModelCount
      gradientCount
      committedGradientCount
      pendingGradientCount
      acceptedGradientCount
      rejectedGradientCount
      declinedGradientCount
      expiredGradientCount
      lapsedGradientCount
      evaluationCount
      rewardCount
      lenderCount
      contributorCount
      ${LOAN_COUNTERS}
      lastBlockNumber
    }
    tokens(first: 100, block: $block, subgraphError: allow) @paged {
      id
      isNative
      modelCount
      totalEscrowed
      totalPaid
      totalRefunded
      totalWithdrawn
      totalLocked
    }
    models(first: 1000, orderBy: createdAt, orderDirection: desc, block: $block, subgraphError: allow) @paged { ${MODEL_ROW} }
    dayDatas(first: 1000, orderBy: date, orderDirection: asc, block: $block, subgraphError: allow) @paged {
      id
      date
      modelsCreated
      gradientsSubmitted
      gradientsAccepted
      gradientsRejected
      evaluations
      cumulativeGradients
      cumulativeAccepted
    }
    tokenDayDatas(first: 1000, orderBy: date, orderDirection: asc, block: $block, subgraphError: allow) @paged {
      id
      token { id }
      date
      escrowed
      paid
      refunded
      cumulativeEscrowed
      cumulativePaid
    }
    gradients(first: 10, orderBy: submittedAtBlock, orderDirection: desc, block: $block, subgraphError: allow) {
      id
      model { id }
      contributor { id }
      seal
      cid
      status
      stake
      submittedAt
      submittedAtBlock
      transactionHash
    }
    evaluations(first: 10, orderBy: blockNumber, orderDirection: desc, block: $block, subgraphError: allow) {
      id
      gradient { id }
      model { id token { id } }
      contributor { id }
      verdict
      accepted
      score
      improvement
      reward
      reachedTarget
      blockNumber
      timestamp
      transactionHash
    }
    deposits(first: 10, orderBy: blockNumber, orderDirection: desc, block: $block, subgraphError: allow) {
      id
      model { id }
      funder { id }
      token { id }
      amount
      isInitial
      blockNumber
      timestamp
      transactionHash
    }
    refunds(first: 10, orderBy: blockNumber, orderDirection: desc, block: $block, subgraphError: allow) {
      id
      model { id }
      funder { id }
      isLender
      token { id }
      amount
      blockNumber
      timestamp
      transactionHash
    }
  }
`;

export const MODEL = recordQuery('Model', 'model', `
  ${MODEL_ROW}
  evaluator
  shared
  shareCount
  sharePerGradient
  evaluationWindow
  submissionStake
  metadataCid
  initialWeightsCid
  weightsCid
  version
  rejectedCount
  declinedCount
  expiredCount
  lapsedCount
  funderCount
  targetReached
  targetReachedAt
  targetReachedBy { id }
  closedAt
  closeReason
  createdAtBlock
  createdTransaction
  evaluations(first: 1000, orderBy: ordinal, orderDirection: asc) @paged {
    id
    ordinal
    gradient { id }
    contributor { id }
    verdict
    accepted
    previousBestScore
    score
    bestScore
    improvement
    reward
    reachedTarget
    blockNumber
    timestamp
    transactionHash
    logIndex
  }
  gradients(first: 1000, orderBy: gradientId, orderDirection: desc) @paged {
    id
    gradientId
    contributor { id }
    seal
    cid
    dpEpsilon
    status
    score
    improvement
    reward
    stake
    modelVersion
    submittedAt
    submittedAtBlock
    revealDeadline
    revealedAt
    evaluatedAt
    transactionHash
  }
  contributors(first: 1000, orderBy: rewardsEarned, orderDirection: desc) @paged {
    id
    contributor { id }
    ${CONTRIBUTION_STATS}
    lastSubmittedAt
  }
  deposits(first: 1000, orderBy: blockNumber, orderDirection: asc) @paged {
    id
    funder { id }
    amount
    totalBounty
    isInitial
    timestamp
    transactionHash
  }
  funders(first: 1000, orderBy: firstFundedAt, orderDirection: asc) @paged {
    id
    funder { id }
    isLender
    amount
    depositCount
    refund
    refundedAt
  }
  deployments(first: 100, orderBy: deploymentId, orderDirection: desc) @paged { ${DEPLOYMENT_ROW} }
`);

export const LEADERBOARD = gql`
  query Leaderboard($block: Block_height) {
    ${VIEWED_BLOCK}
    accounts(first: 1000, where: { gradientsSubmitted_gt: 0 }, orderBy: improvementContributed, orderDirection: desc, block: $block, subgraphError: allow) @paged {
      id
      gradientsSubmitted
      gradientsAccepted
      gradientsRejected
      gradientsDeclined
      gradientsExpired
      gradientsLapsed
      improvementContributed
      dpEpsilonSpent
      rewardCount
      lastActivityAt
      balances(first: 100) {
        token { id }
        rewardsEarned
        withdrawn
      }
    }
  }
`;

export const CONTRIBUTOR = recordQuery('Contributor', 'account', `
  id
  modelsCreated
  gradientsSubmitted
  gradientsAccepted
  gradientsRejected
  gradientsDeclined
  gradientsExpired
  gradientsLapsed
  improvementContributed
  dpEpsilonSpent
  rewardCount
  firstSeenAt
  lastActivityAt
  balances(first: 100) @paged {
    token { id }
    rewardsEarned
    refundsReceived
    stakesReturned
    stakesForfeited
    stakesReceived
    withdrawn
    balance
  }
  modelStats(first: 1000) @paged {
    id
    model { id token { id } status bestScore targetScore progress }
    ${CONTRIBUTION_STATS}
  }
  gradients(first: 1000, orderBy: gradientId, orderDirection: desc) @paged {
    id
    model { id token { id } }
    seal
    cid
    dpEpsilon
    status
    score
    improvement
    reward
    submittedAt
    transactionHash
  }
  rewards(first: 1000, orderBy: blockNumber, orderDirection: asc) @paged {
    id
    model { id }
    gradient { id }
    token { id }
    amount
    kind
    blockNumber
    timestamp
    transactionHash
  }
  withdrawals(first: 1000, orderBy: blockNumber, orderDirection: desc) @paged {
    id
    token { id }
    amount
    to
    timestamp
    transactionHash
  }
  fundings(first: 1000, orderBy: firstFundedAt, orderDirection: asc) @paged {
    id
    model { id token { id } status }
    isLender
    amount
    depositCount
    refund
    refundedAt
  }
  deployments(first: 100, orderBy: deploymentId, orderDirection: desc) @paged { ${DEPLOYMENT_ROW} }
  loanRequests(first: 1000, orderBy: requestId, orderDirection: desc) @paged { ${LOAN_ROW} }
  quotes(first: 1000) @paged { id }
`);

export const LOANS = gql`
  query Loans($block: Block_height) {
    ${VIEWED_BLOCK}
    protocol(id: "hessian", block: $block, subgraphError: allow) { ${LOAN_COUNTERS} }
    deployments(first: 1000, orderBy: deploymentId, orderDirection: desc, block: $block, subgraphError: allow) @paged { ${DEPLOYMENT_ROW} }
    loanRequests(first: 1000, orderBy: requestId, orderDirection: desc, block: $block, subgraphError: allow) @paged { ${LOAN_ROW} }
  }
`;

export const DEPLOYMENT = recordQuery('Deployment', 'deployment', `
  ${DEPLOYMENT_ROW}
  weightsCid
  weightsCommitment
  quotes(first: 1000, orderBy: quoteId, orderDirection: desc) @paged {
    id
    quoteId
    borrower { id }
    queryCid
    status
    resultCid
    requestedAt
    transactionHash
    answeredAt
    answerTransactionHash
    loanRequest { id }
  }
  loanRequests(first: 1000, orderBy: requestId, orderDirection: desc) @paged { ${LOAN_ROW} }
`);
