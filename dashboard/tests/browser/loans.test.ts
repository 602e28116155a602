// The loan desk pages in real Chromium against the real stack: the history's deployments, quotes,
// loan requests and decisions (LoanDesk → subgraph mappings → embedded indexer) are shown as the
// GraphQL API returns them, a model links to its deployment, time travel shows a request before its
// decision, and a decision made on the chain during the test appears without a reload.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Contract, JsonRpcProvider } from 'ethers';
import { DecisionReason, ETH, loanDeskAbi } from '@hessian/contracts';
import { ETH as ETH_INFO, formatAmount, formatInt, type TokenInfo } from '../../src/lib/format.ts';
import { averageRateBps, formatApr, formatTerm, reasonLabel } from '../../src/lib/loans.ts';
import { tx } from '@hessian/test-kit/history';
import { assertFitsNarrowScreen, assertQuietBlock, mineEmptyBlock, screenshot, seriousViolations, useSession } from './harness.ts';

const HSN: TokenInfo = { symbol: 'HSN', decimals: 18 };
const info = (token: string) => (token === ETH ? ETH_INFO : HSN);
const CID = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';

interface ApiDeployment {
  id: string;
  model: { id: string };
  lender: { id: string };
  service: string;
  token: string;
  status: string;
  quoteCount: number;
  answeredQuoteCount: number;
  loanRequestCount: number;
  approvedCount: number;
  declinedCount: number;
  cancelledCount: number;
  approvedAmount: string;
  averageRateBps: string | null;
}
interface ApiLoan {
  id: string;
  deployment: { id: string };
  borrower: { id: string };
  token: string;
  amount: string;
  termDays: number;
  status: string;
  approved: boolean | null;
  approvedAmount: string | null;
  rateBps: number | null;
  reason: string | null;
  requestedAtBlock: string;
}
const DEPLOYMENT_FIELDS = 'id model { id } lender { id } service token status quoteCount answeredQuoteCount loanRequestCount approvedCount declinedCount cancelledCount approvedAmount averageRateBps';
const LOAN_FIELDS = 'id deployment { id } borrower { id } token amount termDays status approved approvedAmount rateBps reason requestedAtBlock';

const session = useSession();
const { text, go, amountIn } = session;

/** what a loan row must show for the API's request */
async function checkLoanRow(table: string, l: ApiLoan) {
  const row = `${table} tr[data-loan="${l.id}"]`;
  assert.equal((await text(`${row} [data-field="status"]`)).toLowerCase(), l.status.toLowerCase(), `request ${l.id} status`);
  const asked = await amountIn(`${row} [data-field="amount"]`);
  assert.equal(asked.raw, l.amount, `request ${l.id} amount`);
  assert.equal(asked.text, formatAmount(l.amount, info(l.token)));
  assert.equal(await text(`${row} [data-field="term"]`), formatTerm(l.termDays));
  if (l.approved) {
    assert.equal((await amountIn(`${row} [data-field="approvedAmount"]`)).raw, l.approvedAmount, `request ${l.id} approved amount`);
    assert.equal(await text(`${row} [data-field="rate"]`), formatApr(l.rateBps), `request ${l.id} rate`);
  } else {
    assert.equal(await text(`${row} [data-field="approvedAmount"]`), '–');
    assert.equal(await text(`${row} [data-field="rate"]`), '–');
  }
  if (l.status === 'Approved' || l.status === 'Declined') assert.equal(await text(`${row} [data-field="reason"]`), reasonLabel(l.reason), `request ${l.id} reason`);
}

describe('loan desk pages on a real indexer', { timeout: 300_000 }, () => {
  test('the Loans page lists deployments and loan requests with the decisions the API returns', async () => {
    const api = await session.stack.gql<{
      protocol: { deploymentCount: number; activeDeploymentCount: number; quoteCount: number; loanRequestCount: number; approvedLoanCount: number; declinedLoanCount: number };
      deployments: ApiDeployment[];
      loanRequests: ApiLoan[];
    }>(`{
      protocol(id: "hessian") { deploymentCount activeDeploymentCount quoteCount loanRequestCount approvedLoanCount declinedLoanCount }
      deployments(first: 1000) { ${DEPLOYMENT_FIELDS} }
      loanRequests(first: 100, orderBy: requestId, orderDirection: desc) { ${LOAN_FIELDS} }
    }`);
    // the history exercises every kind of outcome the page words differently
    const has = (f: (l: ApiLoan) => boolean, what: string) => assert.ok(api.loanRequests.some(f), `history has ${what}`);
    has((l) => l.status === 'Approved' && l.reason === 'Priced', 'a priced approval');
    has((l) => l.status === 'Approved' && l.reason === 'AmountAboveLimit', 'an approval at the amount limit');
    has((l) => l.status === 'Declined' && l.reason === 'RiskTooHigh', 'a RiskTooHigh decline');
    has((l) => l.status === 'Cancelled', 'a cancellation');
    assert.ok(api.deployments.some((d) => d.status === 'Retired'), 'history has a retired deployment');

    await go('#/loans', '[data-testid="deployments-table"]');
    await session.page.locator('[data-testid="sync"]', { hasText: 'Synced to block' }).waitFor();
    for (const key of ['deploymentCount', 'activeDeploymentCount', 'quoteCount', 'loanRequestCount', 'approvedLoanCount', 'declinedLoanCount'] as const) {
      assert.equal(await text(`[data-testid="loan-totals"] [data-testid="${key}"]`), formatInt(api.protocol[key]), key);
    }

    // approved lending per loan currency: the deployments' approved amounts summed
    for (const token of new Set(api.deployments.map((d) => d.token))) {
      const sum = api.deployments.filter((d) => d.token === token).reduce((s, d) => s + BigInt(d.approvedAmount), 0n);
      if (sum === 0n) assert.equal(await session.page.locator(`[data-testid="lending"][data-token="${token}"]`).count(), 0, `nothing lent in ${token}: no card`);
      else assert.equal((await amountIn(`[data-testid="lending"][data-token="${token}"] [data-field="approvedAmount"]`)).raw, sum.toString(), `approved in ${token}`);
    }
    assert.equal(await session.page.locator('[data-testid="deployments-table"] tbody tr').count(), api.deployments.length);
    for (const d of api.deployments) {
      const row = `[data-testid="deployments-table"] tr[data-deployment="${d.id}"]`;
      assert.equal((await text(`${row} [data-field="status"]`)).toLowerCase(), d.status.toLowerCase(), `deployment ${d.id} status`);
      assert.equal(await text(`${row} [data-field="model"]`), `model #${d.model.id}`);
      assert.equal(await text(`${row} [data-field="quotes"]`), `${d.answeredQuoteCount} / ${d.quoteCount}`);
      assert.equal(await text(`${row} [data-field="decisions"]`), `${d.approvedCount} · ${d.declinedCount} · ${d.cancelledCount}`);
      const approved = await amountIn(`${row} [data-field="approvedAmount"]`);
      assert.equal(approved.raw, d.approvedAmount, `deployment ${d.id} approved amount`);
      assert.equal(approved.text, formatAmount(d.approvedAmount, info(d.token)));
      assert.equal(await text(`${row} [data-field="averageRate"]`), formatApr(d.averageRateBps), `deployment ${d.id} average rate`);
      // the subgraph's average is the amount-weighted mean of the deployment's approved requests
      const own = api.loanRequests.filter((l) => l.deployment.id === d.id);
      if (own.length === d.loanRequestCount) {
        const mine = averageRateBps(own);
        if (mine === null) assert.equal(d.averageRateBps, null);
        else assert.ok(Math.abs(Number(d.averageRateBps) - mine) < 0.01, `deployment ${d.id} average ${d.averageRateBps} vs ${mine}`);
      }
    }

    assert.equal(await session.page.locator('[data-testid="loans-table"] tbody tr').count(), api.loanRequests.length);
    for (const l of api.loanRequests) {
      await checkLoanRow('[data-testid="loans-table"]', l);
      assert.equal(await session.page.locator(`[data-testid="loans-table"] tr[data-loan="${l.id}"] a[data-address]`).first().getAttribute('data-address'), l.borrower.id);
    }
    // the reasons in words, as a reader sees them
    const declined = api.loanRequests.find((l) => l.reason === 'RiskTooHigh')!;
    assert.equal(await text(`tr[data-loan="${declined.id}"] [data-field="reason"]`), 'risk above cut-off');
    await screenshot(session.page, 'loans');

    // the overview carries the same counters
    await go('#/', '[data-testid="deploymentCount"]');
    assert.equal(await text('[data-testid="totals"] [data-testid="deploymentCount"]'), formatInt(api.protocol.deploymentCount));
    assert.equal(await text('[data-testid="totals"] [data-testid="loanRequestCount"]'), formatInt(api.protocol.loanRequestCount));
    assert.deepEqual(session.errors, []);
  });

  test('a model links to its deployment, whose page shows requests and only encrypted quotes', async () => {
    const { deployments } = await session.stack.gql<{ deployments: { id: string; model: { id: string } }[] }>(
      '{ deployments(first: 1000, where: { quoteCount_gt: 0 }, orderBy: deploymentId) { id model { id } } }',
    );
    const target = deployments[0];
    assert.ok(target, 'a deployment with quotes');
    const { deployment: d } = await session.stack.gql<{
      deployment: ApiDeployment & {
        quotes: { id: string; queryCid: string; resultCid: string | null; status: string }[];
        loanRequests: ApiLoan[];
      };
    }>(`query($id: ID!) { deployment(id: $id) { ${DEPLOYMENT_FIELDS} quotes(first: 1000) { id queryCid resultCid status } loanRequests(first: 1000) { ${LOAN_FIELDS} } } }`, { id: target.id });

    await go(`#/model/${target.model.id}`, '[data-testid="model-deployments"]');
    await session.page.locator(`[data-testid="model-deployments"] tr[data-deployment="${target.id}"] th a`).click();
    await session.page.locator('[data-testid="deployment-stats"]').waitFor();
    assert.match(new URL(session.page.url()).hash, new RegExp(`^#/deployment/${target.id}$`));
    assert.equal(await text('[data-testid="answeredQuoteCount"]'), String(d.answeredQuoteCount));
    assert.equal((await amountIn('[data-testid="approvedAmount"]')).raw, d.approvedAmount);
    assert.equal(await text('[data-testid="averageRate"]'), formatApr(d.averageRateBps));

    assert.equal(await session.page.locator('[data-testid="quotes-table"] tbody tr').count(), d.quotes.length);
    assert.deepEqual(await session.page.locator('[data-testid="quotes-table"] thead th').allInnerTexts().then((t) => t.filter((h) => /encrypted/i.test(h))), ['Encrypted query', 'Encrypted result']);
    for (const qt of d.quotes) {
      const row = `[data-testid="quotes-table"] tr[data-quote="${qt.id}"]`;
      assert.equal(await session.page.locator(`${row} [data-field="queryCid"] [title="IPFS ${qt.queryCid}"]`).count(), 1, `quote ${qt.id} query CID`);
      if (qt.resultCid) assert.equal(await session.page.locator(`${row} [data-field="resultCid"] [title="IPFS ${qt.resultCid}"]`).count(), 1, `quote ${qt.id} result CID`);
      else assert.match(await text(`${row} [data-field="resultCid"]`), /not answered/);
    }
    assert.equal(await session.page.locator('[data-testid="loans-table"] tbody tr').count(), d.loanRequests.length);
    for (const l of d.loanRequests) await checkLoanRow('[data-testid="loans-table"]', l);
    await screenshot(session.page, 'deployment');

    // and back to the model
    await session.page.locator('[data-testid="deployment-model"]').click();
    await session.page.locator('[data-testid="model-deployments"]').waitFor();
    assert.deepEqual(session.errors, []);
  });

  test('account pages show loan requests as a borrower and deployments as a lender', async () => {
    const { loanRequests } = await session.stack.gql<{ loanRequests: ApiLoan[] }>(`{ loanRequests(first: 1000) { ${LOAN_FIELDS} } }`);
    const borrower = loanRequests[0]!.borrower.id;
    const mine = loanRequests.filter((l) => l.borrower.id === borrower);
    await go(`#/contributor/${borrower}`, '[data-testid="account-loans"]');
    assert.equal(await session.page.locator('[data-testid="account-loans"] tbody tr').count(), mine.length);
    for (const l of mine) await checkLoanRow('[data-testid="account-loans"]', l);

    const { deployments } = await session.stack.gql<{ deployments: ApiDeployment[] }>(`{ deployments(first: 1000) { ${DEPLOYMENT_FIELDS} } }`);
    const lender = deployments[0]!.lender.id;
    await go(`#/contributor/${lender}`, '[data-testid="account-deployments"]');
    const ids = deployments.filter((d) => d.lender.id === lender).map((d) => d.id).sort();
    assert.deepEqual((await session.page.locator('[data-testid="account-deployments"] tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-deployment')))).sort(), ids);
    assert.deepEqual(session.errors, []);
  });

  test('time travel shows a request as pending before its decision, and empty states before any deployment', async () => {
    const { loanRequests } = await session.stack.gql<{ loanRequests: ApiLoan[] }>(`{ loanRequests(first: 1000, where: { status: Approved }) { ${LOAN_FIELDS} } }`);
    const l = loanRequests[0]!;
    const block = Number(l.requestedAtBlock);
    const past = await session.stack.gql<{ loanRequest: { status: string } }>('query($id: ID!, $b: Int!) { loanRequest(id: $id, block: { number: $b }) { status } }', { id: l.id, b: block });
    assert.equal(past.loanRequest.status, 'Pending', 'decided in a later block than requested');
    await go(`#/loans?block=${block}`, `[data-testid="loans-table"] tr[data-loan="${l.id}"]`);
    await session.page.locator('[data-testid="viewing"]', { hasText: `as of block ${block.toLocaleString('en-US')}` }).waitFor();
    assert.equal(await text(`tr[data-loan="${l.id}"] [data-field="status"]`), 'Pending');
    assert.equal(await text(`tr[data-loan="${l.id}"] [data-field="reason"]`), 'awaiting decision');
    await session.page.locator('button', { hasText: 'Back to live' }).click();
    await session.page.locator(`tr[data-loan="${l.id}"] [data-field="status"]`, { hasText: 'Approved' }).waitFor({ timeout: 15_000 });

    // before the first deployment: empty states, not errors
    const before = tx(session.stack.history, 'deploy d1').blockNumber - 1;
    await go(`#/loans?block=${before}`, '[data-testid="deploymentCount"]');
    await session.page.locator('p.empty', { hasText: 'No model is deployed yet' }).waitFor();
    await session.page.locator('p.empty', { hasText: 'No loan request yet' }).waitFor();
    assert.equal(await text('[data-testid="deploymentCount"]'), '0');
    await go(`#/deployment/1?block=${before}`, 'p.empty');
    assert.match(await text('p.empty'), new RegExp(`No deployment #1 existed at block ${before}`));
    assert.deepEqual(session.errors, []);
  });

  test('a loan request and its decision made on the chain appear without a reload', async () => {
    const { deployments } = await session.stack.gql<{ deployments: ApiDeployment[] }>(`{ deployments(first: 1, where: { status: Active }, orderBy: deploymentId) { ${DEPLOYMENT_FIELDS} } }`);
    const d = deployments[0];
    assert.ok(d, 'an active deployment');
    await go('#/loans', '[data-testid="loans-table"]');
    const provider = new JsonRpcProvider(session.stack.chain.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const desk = session.stack.history.deployment.contracts.LoanDesk!.address;
      const borrower = await provider.getSigner(session.stack.history.accounts.vault);
      const service = await provider.getSigner(d.service);
      const asBorrower = new Contract(desk, loanDeskAbi, borrower);
      const asService = new Contract(desk, loanDeskAbi, service);
      const quoteId: bigint = await asBorrower.requestQuote!.staticCall(BigInt(d.id), CID);
      await (await asBorrower.requestQuote!(BigInt(d.id), CID)).wait();
      await (await asService.answerQuote!(quoteId, CID)).wait();
      const requestId: bigint = await asBorrower.requestLoan!.staticCall(quoteId, 5n * 10n ** 17n, 180, CID);
      await (await asBorrower.requestLoan!(quoteId, 5n * 10n ** 17n, 180, CID)).wait();
      // no navigation from here on: the page must notice by itself
      const row = `[data-testid="loans-table"] tr[data-loan="${requestId}"]`;
      await session.page.locator(`${row} [data-field="status"]`, { hasText: 'Pending' }).waitFor({ timeout: 20_000 });
      assert.equal(await text(`${row} [data-field="term"]`), '180 days');
      await (await asService.decideLoan!(requestId, true, 5n * 10n ** 17n, 1225, DecisionReason.Priced)).wait();
      await session.page.locator(`${row} [data-field="status"]`, { hasText: 'Approved' }).waitFor({ timeout: 20_000 });
      assert.equal(await text(`${row} [data-field="rate"]`), '12.25 % APR');
      assert.equal(await text(`${row} [data-field="reason"]`), 'priced by the published rule');
      assert.equal((await amountIn(`${row} [data-field="approvedAmount"]`)).raw, String(5n * 10n ** 17n));
      const after = await session.stack.gql<{ deployment: { approvedCount: number } }>('query($id: ID!) { deployment(id: $id) { approvedCount } }', { id: d.id });
      assert.equal(after.deployment.approvedCount, d.approvedCount + 1);
      await session.page
        .locator(`[data-testid="deployments-table"] tr[data-deployment="${d.id}"] [data-field="decisions"]`, { hasText: `${after.deployment.approvedCount} ·` })
        .waitFor({ timeout: 15_000 });
    } finally {
      provider.destroy();
    }
    assert.deepEqual(session.errors, []);
  });

  test('a block that changes nothing the loan pages show redraws nothing on them', async () => {
    const { deployments, loanRequests } = await session.stack.gql<{ deployments: { id: string }[]; loanRequests: { borrower: { id: string } }[] }>(
      '{ deployments(first: 1, orderBy: deploymentId) { id } loanRequests(first: 1) { borrower { id } } }',
    );
    // an hour on, every time shown reads in hours or more, which the next block's second does not change
    await mineEmptyBlock(session.stack, 3600);
    await assertQuietBlock(session, '#/loans', '[data-testid="deployments-table"]', 'Loans');
    await assertQuietBlock(session, `#/deployment/${deployments[0]!.id}`, '[data-testid="deployment-stats"]', 'Deployment');
    await assertQuietBlock(session, `#/contributor/${loanRequests[0]!.borrower.id}`, '[data-testid="account-loans"]', 'Contributor');
    assert.deepEqual(session.errors, []);
  });

  test('the loan pages pass axe-core and fit a narrow screen', async () => {
    const { deployments } = await session.stack.gql<{ deployments: { id: string }[] }>('{ deployments(first: 1, orderBy: deploymentId) { id } }');
    const pages = [
      ['loans', '#/loans', '[data-testid="deployments-table"]'],
      ['deployment', `#/deployment/${deployments[0]!.id}`, '[data-testid="deployment-stats"]'],
    ] as const;
    for (const [, hash, ready] of pages) {
      await go(hash, ready);
      const violations = await seriousViolations(session.page);
      assert.deepEqual(violations, [], `${hash}: ${JSON.stringify(violations)}`);
    }
    await assertFitsNarrowScreen(session.stack, pages);
    assert.deepEqual(session.errors, []);
  });
});
