// Model deployment end to end on a real Hardhat node with the real LoanDesk, real CKKS and the
// embedded IPFS store: a lender opens a small model, brings it to its target, deploys it; the
// loan service answers encrypted quotes and decides loan requests; borrowers see exactly the
// plaintext model's probability; forged disclosures, malformed queries and restarts are handled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { keccak256, parseEther, toUtf8Bytes } from 'ethers';
import { openModel } from '../../src/roles/lender.ts';
import { deployModel, startLoanService, loanServiceJournal, manualDecisionJournal, deploymentRecords, requestQuote, requestLoan, encodeBorrowerRow, borrowerJournal, LoanDeskClient, DEFAULT_PRICING, priceLoan, QUERY_PARAMETERS, createBorrowerKeys, encryptQuery, queryLayout } from '@hessian/lending';
import type { LoanServiceHandle, LoanDeskConfig } from '@hessian/lending';
import type { ModelRepositoryClient } from '@hessian/core/model-repository';
import { MIN_SUBMISSION_STAKE } from '@hessian/core/model-repository';
import { readCsvFile, encodeTable } from '@hessian/core/data';
import type { EncodingSpec } from '@hessian/core/data';
import { loadPublicKey, loadSecretKeyFile, encryptWeights } from '@hessian/core/he';
import { dot, predict, trainPlain, auc, metricToScore, sigmoid } from '@hessian/core/ml';
import { buildWeightsDocument, fetchMetadata, fetchPublicKeys, openHeContext } from '@hessian/core/model';
import { train as main } from '../../../cli/commands/train.ts';
import { startScenario, waitFor, LABEL } from './helpers/scenario.ts';
import type { Scenario } from './helpers/scenario.ts';

let sc: Scenario;
let lenderRepo: ModelRepositoryClient;
let deskCfg: LoanDeskConfig;
let lenderDesk: LoanDeskClient;
let modelId: number;
let w: Float64Array;
let spec: EncodingSpec;
let borrowerCsv: string;
let borrowerRows: Float64Array[];
const desks: LoanDeskClient[] = [];
const lenderDir = () => path.join(sc.dir, 'lender');

async function desk(account: number): Promise<LoanDeskClient> {
  const d = await LoanDeskClient.connect(deskCfg, sc.chain.wallet(account));
  desks.push(d);
  return d;
}

function service(extra: Partial<Parameters<typeof startLoanService>[0]> = {}): Promise<LoanServiceHandle> {
  return startLoanService({ desk: lenderDesk, store: sc.store, stateDir: lenderDir(), pollMs: 100, log: sc.log.child({ who: 'service' }), ...extra });
}

/** `hessian loan <args>` in-process, as the account with this private key */
async function run(args: string[], key: string): Promise<{ code: number; out: string; err: string }> {
  const depFile = path.join(sc.dir, 'deployment.json');
  writeFileSync(depFile, JSON.stringify(sc.chain.deployment));
  const env = { HESSIAN_PRIVATE_KEY: key, HESSIAN_RPC_URL: sc.chain.url, HESSIAN_DEPLOYMENT: depFile, HESSIAN_IPFS_DIR: path.join(sc.dir, 'ipfs'), HESSIAN_POLL_MS: '100', HESSIAN_LOG_LEVEL: 'warn' };
  let out = '';
  let err = '';
  const code = await main(['loan', ...args], { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env });
  return { code, out, err };
}

before(async () => {
  sc = await startScenario({ owners: 1, testFraction: 0.05, seed: 'loan-daemon' });
  const loanDesk = sc.chain.deployment.contracts.LoanDesk;
  assert.ok(loanDesk, 'deployHessian deploys the LoanDesk');
  deskCfg = { rpcUrl: sc.chain.url, address: loanDesk.address, startBlock: loanDesk.startBlock, pollMs: 100 };
  lenderRepo = await sc.client(1);
  lenderDesk = await desk(1);
  const opened = await openModel({
    client: lenderRepo,
    store: sc.store,
    stateDir: lenderDir(),
    data: sc.lenderCsv,
    encoding: { label: LABEL },
    ckks: 'logistic-8192',
    minBatch: 1,
    bounty: parseEther('1'),
    target: 0.6,
    log: sc.log.child({ who: 'lender' }),
  });
  modelId = opened.modelId;

  // training itself is covered by the daemon suite: here the lender, as evaluator, records one
  // accepted update carrying plaintext-trained weights encrypted under its own key
  const meta = await fetchMetadata(sc.store, opened.metadataCid);
  spec = meta.encoding as EncodingSpec;
  const held = encodeTable(await readCsvFile(sc.lenderCsv), spec);
  w = trainPlain(held.x, held.y, { task: 'logistic', learningRate: 1, rounds: 40 });
  const score = Number(metricToScore('auc', auc(held.y, predict('logistic', w, held.x))));
  assert.ok(score >= opened.targetScore, `trained AUC score ${score} reaches the target ${opened.targetScore}`);
  const he = await openHeContext(meta);
  const sk = await loadSecretKeyFile(opened.secretKeyFile, he);
  const pk = loadPublicKey(he, (await fetchPublicKeys(sc.store, he, meta, { relin: false, galois: false })).publicKey);
  const cids: string[] = [];
  for (const b of encryptWeights(he, w, { publicKey: pk, secretKey: sk })) cids.push(await sc.store.put(b));
  pk.delete();
  sk.delete();
  he.delete();
  const newWeightsCid = await sc.store.putJson(buildWeightsDocument(1, cids));
  const owner = await sc.client(2);
  const sub = await owner.submitGradient(modelId, opened.weightsCid, keccak256(toUtf8Bytes('loan-daemon')), MIN_SUBMISSION_STAKE);
  const ev = await lenderRepo.evaluateGradient(sub.gradientId, sub.seal, score, 'Accepted', newWeightsCid);
  assert.equal(ev.event.bestScore, score);

  // borrowers: a few rows of the data set with the label column removed
  const table = await readCsvFile(sc.ownerCsvs[0]!);
  const labelIdx = table.header.indexOf(LABEL);
  const rows = table.rows.slice(0, 8);
  borrowerCsv = path.join(sc.dir, 'borrowers.csv');
  writeFileSync(borrowerCsv, [table.header.filter((_, i) => i !== labelIdx), ...rows.map((r) => r.cells.filter((_, i) => i !== labelIdx))].map((r) => r.join(',')).join('\n') + '\n');
  const withLabel = encodeTable({ ...table, rows }, spec);
  borrowerRows = withLabel.x;
});

after(async () => {
  for (const d of desks) d.destroy();
  await sc?.cleanup();
});

test('the lender deploys the trained model: score from the repository, logit range covers the held-out rows', { timeout: 120_000 }, async () => {
  await assert.rejects(
    deployModel({ repo: lenderRepo, desk: lenderDesk, store: sc.store, stateDir: lenderDir(), modelId: 99, log: sc.log }),
    /model 99 was not opened from the state directory/,
  );
  const dep = await deployModel({ repo: lenderRepo, desk: lenderDesk, store: sc.store, stateDir: lenderDir(), modelId, log: sc.log.child({ who: 'deploy' }) });
  assert.equal(dep.deploymentId, 1);
  assert.equal(dep.resumed, false);
  const ev = await lenderDesk.deployment(1);
  assert.equal(ev.modelId, modelId);
  assert.equal(ev.serviceCid, dep.serviceCid);
  assert.equal(ev.weightsCommitment, dep.weightsCommitment);
  assert.equal(ev.modelVersion, 1);
  assert.equal(ev.targetReached, true);
  const held = encodeTable(await readCsvFile(sc.lenderCsv), spec);
  for (const x of held.x) {
    const z = dot(w, x);
    assert.ok(z >= dep.logitRange[0] && z <= dep.logitRange[1], `held-out logit ${z} inside ${dep.logitRange}`);
  }
  const deployments = deploymentRecords(lenderDir());
  assert.equal(deployments[dep.serviceCid]?.state, 'deployed');
  // the disclosure key file is private
  const keyFile = deployments[dep.serviceCid]!.disclosureKeyFile;
  const { statSync } = await import('node:fs');
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
});

test('borrower quote: the decrypted probability equals the plaintext model; the loan is priced by the published rule', { timeout: 180_000 }, async (t) => {
  const svc = await service();
  try {
    const borrower = await desk(3);
    const bdir = path.join(sc.dir, 'borrower-a');
    const started = performance.now();
    const q = await requestQuote({ desk: borrower, store: sc.store, stateDir: bdir, deploymentId: 1, features: borrowerCsv, row: 2, amount: parseEther('2'), termDays: 365, log: sc.log.child({ who: 'borrower-a' }) });
    t.diagnostic(`quote round trip (keygen, encrypt, upload, tx, answer, decrypt): ${Math.round(performance.now() - started)} ms`);
    const x = encodeBorrowerRow(await readCsvFile(borrowerCsv), spec, 2);
    assert.deepEqual([...x], [...borrowerRows[2]!], 'the borrower encodes its row exactly as the lender encodes data');
    const z = dot(w, x);
    assert.ok(Math.abs(q.logit - z) < 1e-3, `encrypted logit ${q.logit} vs plaintext ${z}`);
    assert.ok(Math.abs(q.probability - sigmoid(z)) < 1e-3, `probability ${q.probability} vs ${sigmoid(z)}`);
    const expected = priceLoan(DEFAULT_PRICING, q.probability, parseEther('2'), 365);
    assert.equal(q.rateBps, expected.rateBps);
    assert.equal(q.approved, expected.approved);

    const applied = performance.now();
    const loan = await requestLoan({ desk: borrower, store: sc.store, stateDir: bdir, quoteId: q.quoteId, amount: parseEther('2'), termDays: 365, wait: true, timeoutMs: 60_000, log: sc.log.child({ who: 'borrower-a' }) });
    t.diagnostic(`loan request to on-chain decision: ${Math.round(performance.now() - applied)} ms; |logit error| ${Math.abs(q.logit - dot(w, x)).toExponential(1)}`);
    const decided = (await lenderDesk.queryEvents('LoanDecided', [loan.requestId]))[0]!;
    assert.equal(decided.approved, expected.approved);
    assert.equal(decided.rateBps, expected.approved ? expected.rateBps : 0);
    assert.equal(decided.reason, expected.reason);
    assert.equal(loan.decision?.reason, expected.reason);
    // one request per quote: asking again returns the recorded request, never a second one
    const again = await requestLoan({ desk: borrower, store: sc.store, stateDir: bdir, quoteId: q.quoteId, amount: parseEther('2'), termDays: 365 });
    assert.equal(again.requestId, loan.requestId);
    assert.equal((await lenderDesk.queryEvents('LoanRequested', [null, 1, await borrower.address()])).length, 1);
  } finally {
    await svc.stop();
  }
});

test('a forged disclosure (altered logit) is declined with InvalidDisclosure', { timeout: 180_000 }, async () => {
  const svc = await service();
  try {
    const borrower = await desk(4);
    const bdir = path.join(sc.dir, 'borrower-forger');
    const q = await requestQuote({ desk: borrower, store: sc.store, stateDir: bdir, deploymentId: 1, features: borrowerCsv, row: 5, log: sc.log });
    const loan = await requestLoan({
      desk: borrower,
      store: sc.store,
      stateDir: bdir,
      quoteId: q.quoteId,
      amount: parseEther('1'),
      termDays: 365,
      wait: true,
      timeoutMs: 60_000,
      tamper: (c) => ({ ...c, logit: c.logit - 0.5 }),
    });
    assert.equal(loan.decision?.approved, false);
    assert.equal(loan.decision?.reason, 'InvalidDisclosure');
    assert.equal(loan.decision?.rateBps, 0);
    assert.equal(loanServiceJournal(lenderDir(), { readOnly: true }).value.loans[String(loan.requestId)]?.detail, "the disclosed logit does not match the quote's tag");
  } finally {
    await svc.stop();
  }
});

test('malformed queries are refused with a clear logged error; the service keeps answering', { timeout: 180_000 }, async () => {
  const rogue = await desk(5);
  const garbage = await sc.store.put(new Uint8Array(5000).fill(7));
  const tinyKey = await sc.store.put(new Uint8Array(64).fill(1));
  const good = JSON.parse(readFileSync(path.join(sc.dir, 'borrower-a', 'borrower.json'), 'utf8')) as { quotes: Record<string, { queryCid: string }> };
  const goodQuery = (await sc.store.getJson(Object.values(good.quotes)[0]!.queryCid, { maxBytes: 1 << 20 })) as Record<string, unknown>;
  const badCiphertext = await rogue.requestQuote(1, await sc.store.putJson({ ...goodQuery, ciphertext: garbage }));
  const badKeys = await rogue.requestQuote(1, await sc.store.putJson({ ...goodQuery, publicKey: tinyKey }));
  const notJson = await rogue.requestQuote(1, garbage);
  const svc = await service();
  try {
    const borrower = await desk(6);
    const q = await requestQuote({ desk: borrower, store: sc.store, stateDir: path.join(sc.dir, 'borrower-after-rogue'), deploymentId: 1, features: borrowerCsv, row: 1, log: sc.log });
    assert.ok(Math.abs(q.logit - dot(w, borrowerRows[1]!)) < 1e-3, 'a good quote after bad ones is answered correctly');
    const j = svc.journal.value.quotes;
    for (const bad of [badCiphertext, badKeys, notJson]) {
      const rec = j[String(bad.event.quoteId)];
      assert.equal(rec?.state, 'refused', `quote ${bad.event.quoteId} refused`);
      assert.ok(rec.reason && rec.reason.length > 10);
      assert.ok(
        sc.logLines.some((l) => l.includes('quote refused') && l.includes(`"quoteId":${bad.event.quoteId}`)),
        `the refusal of quote ${bad.event.quoteId} is logged`,
      );
      assert.equal((await lenderDesk.queryEvents('QuoteAnswered', [bad.event.quoteId])).length, 0);
    }
    assert.match(j[String(badKeys.event.quoteId)]!.reason!, /public key/i);
    assert.match(j[String(badCiphertext.event.quoteId)]!.reason!, /ciphertext/i);
  } finally {
    await svc.stop();
  }
});

test('quote spam: one borrower flooding quotes gets its rate, the excess waits unfetched then is refused, a reused or oversized query is refused before download, others are still answered', { timeout: 300_000 }, async () => {
  // an account no later test quotes with: the rate it uses up is counted in the service journal for the hour
  const spammer = await desk(5);
  const honest = await desk(0);
  const oversized = await desk(2);
  // a query document built as the borrower client builds it, with fresh randomness per ciphertext
  const layout = queryLayout(w.length);
  const keys = await createBorrowerKeys(layout);
  const publicKey = await sc.store.put(keys.publicKey);
  const galoisKeys = await sc.store.put(keys.galoisKeys);
  keys.secretKey.delete();
  const queryDoc = async (ciphertextCid?: string, gk = galoisKeys) => sc.store.putJson({
    version: 1, kind: 'hessian/loan-query', deploymentId: 1, featureCount: layout.featureCount, ckks: QUERY_PARAMETERS,
    publicKey, galoisKeys: gk, ciphertext: ciphertextCid ?? await sc.store.put(await encryptQuery(layout, keys.publicKey, borrowerRows[2]!)),
  });
  const flood: { quoteId: number; queryCid: string }[] = [];
  for (let i = 0; i < 8; i++) {
    const queryCid = await queryDoc();
    flood.push({ quoteId: (await spammer.requestQuote(1, queryCid)).event.quoteId, queryCid });
  }
  const reused = (await spammer.requestQuote(1, flood[0]!.queryCid)).event.quoteId;
  // 12 MiB "Galois keys": over what the rotations plus conjugation can take (~9 MiB uncompressed)
  const huge = await sc.store.put(new Uint8Array(12 * 1024 * 1024).fill(3));
  const tooBig = (await oversized.requestQuote(1, await queryDoc(undefined, huge))).event.quoteId;
  const honestQuote = (await honest.requestQuote(1, await queryDoc())).event.quoteId;

  // every download the service starts, with the limit it gave and how it ended
  const fetches: { cid: string; maxBytes: number; outcome: string }[] = [];
  const store = new Proxy(sc.store, {
    get(target, prop) {
      if (prop === 'get' || prop === 'getJson') {
        return async (cid: string, opts: { maxBytes: number }) => {
          try {
            const v = await target[prop](cid, opts);
            fetches.push({ cid, maxBytes: opts.maxBytes, outcome: 'ok' });
            return v;
          } catch (err) {
            fetches.push({ cid, maxBytes: opts.maxBytes, outcome: (err as Error).name });
            throw err;
          }
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const limits = { perBorrower: 2, windowMs: 3_600_000, maxWaiting: 3 };
  const answeredOnChain = async (id: number) => (await lenderDesk.queryEvents('QuoteAnswered', [id])).length;
  let svc = await service({ store, quoteLimits: limits });
  try {
    await waitFor('the honest quote answered and the flood sorted', async () => {
      const j = svc.journal.value.quotes;
      return j[String(honestQuote)]?.state === 'answered' && j[String(tooBig)]?.state === 'refused'
        && flood.slice(0, 2).every((q) => j[String(q.quoteId)]?.state === 'answered') && flood.slice(5).every((q) => j[String(q.quoteId)]?.state === 'refused');
    }, 120_000);
    const j = svc.journal.value.quotes;
    assert.equal(await answeredOnChain(honestQuote), 1, 'another borrower is answered despite the flood');
    for (const q of flood.slice(0, 2)) assert.equal(await answeredOnChain(q.quoteId), 1, `the spammer's quote ${q.quoteId} within its rate is answered`);
    for (const q of flood.slice(2, 5)) {
      assert.equal(j[String(q.quoteId)], undefined, `quote ${q.quoteId} waits for the rate limit, nothing journaled`);
      assert.equal(await answeredOnChain(q.quoteId), 0);
    }
    for (const q of flood.slice(5)) assert.match(j[String(q.quoteId)]!.reason!, /has 3 quotes waiting for its rate limit \(2 per 3600 s\)/);
    assert.match(j[String(reused)]!.reason!, new RegExp(`query document ${flood[0]!.queryCid} was already used by this borrower's quote ${flood[0]!.quoteId}`));
    assert.match(j[String(tooBig)]!.reason!, /Galois keys .* over the limit of \d+ bytes/);
    // nothing of a held-back, refused or reused quote was downloaded, and the oversized keys were
    // refused on their declared size with a bound of the rotations plus conjugation
    const fetchedCids = new Set(fetches.map((f) => f.cid));
    for (const q of flood.slice(2)) assert.ok(!fetchedCids.has(q.queryCid), `query ${q.quoteId} was not fetched`);
    const hugeFetch = fetches.find((f) => f.cid === huge)!;
    assert.equal(hugeFetch.outcome, 'ContentTooLargeError');
    assert.ok(hugeFetch.maxBytes < 10 * 1024 * 1024, `Galois keys bound ${hugeFetch.maxBytes}`);
    assert.ok(sc.logLines.some((l) => l.includes('quote held back: borrower over its rate limit') && l.includes(`"quoteId":${flood[2]!.quoteId}`)));

    // a restart keeps counting from the journal: the waiting quotes still wait
    await svc.stop();
    svc = await service({ store, quoteLimits: limits });
    await new Promise((r) => setTimeout(r, 1500));
    for (const q of flood.slice(2, 5)) assert.equal(await answeredOnChain(q.quoteId), 0, `quote ${q.quoteId} still waits after a restart`);
    await svc.stop();
    // once the window has passed (here: a window of 1 ms), the waiting quotes are answered; the refused ones never are
    svc = await service({ store, quoteLimits: { ...limits, windowMs: 1 } });
    await waitFor('the waiting quotes answered', async () => flood.slice(2, 5).every((q) => svc.journal.value.quotes[String(q.quoteId)]?.state === 'answered'), 120_000);
    for (const q of [...flood.slice(5), { quoteId: reused }, { quoteId: tooBig }]) assert.equal(await answeredOnChain(q.quoteId), 0, `refused quote ${q.quoteId} never answered`);
  } finally {
    await svc.stop();
  }
});

test('a disclosure key file open to group or others is refused on load, naming the file and its mode', { timeout: 60_000 }, async () => {
  const rec = Object.values(deploymentRecords(lenderDir())).find((r) => r.deploymentId === 1)!;
  chmodSync(rec.disclosureKeyFile, 0o644);
  const svc = await service({ deploymentIds: [1] });
  try {
    await waitFor('the refusal logged', async () => sc.logLines.some((l) => l.includes('loading the deployment failed') && l.includes('has mode 644') && l.includes(path.basename(rec.disclosureKeyFile))), 30_000);
    assert.deepEqual(svc.serving(), [], 'the deployment is not served with a key others can read');
  } finally {
    await svc.stop();
    chmodSync(rec.disclosureKeyFile, 0o600);
  }
});

test('restart between journaling and answering/deciding: no double answer, no skipped quote, same tag key', { timeout: 240_000 }, async () => {
  const borrower = await desk(7);
  const bdir = path.join(sc.dir, 'borrower-restart');
  let keyed: { a: number; b: number } | undefined;
  const crashing = await service({
    beforeAnswer: ({ quoteId }) => {
      keyed = loanServiceJournal(lenderDir(), { readOnly: true }).value.quotes[String(quoteId)]?.tag;
      throw new Error('simulated crash before answerQuote');
    },
  });
  const quoting = requestQuote({ desk: borrower, store: sc.store, stateDir: bdir, deploymentId: 1, features: borrowerCsv, row: 3, timeoutMs: 120_000, log: sc.log });
  await waitFor('the tag key to be journaled', () => keyed !== undefined, 60_000);
  await crashing.stop();
  const second = await service({ once: true });
  await second.done;
  const q = await quoting;
  assert.equal((await lenderDesk.queryEvents('QuoteAnswered', [q.quoteId])).length, 1, 'answered exactly once');
  assert.deepEqual(loanServiceJournal(lenderDir(), { readOnly: true }).value.quotes[String(q.quoteId)]?.tag, keyed, 'the journaled tag key was reused');

  // the same for a decision: journaled, crash, decided once by the next instance
  let decidedOnce = false;
  const crashing2 = await service({
    beforeDecide: () => {
      decidedOnce = true;
      throw new Error('simulated crash before decideLoan');
    },
  });
  const loan = await requestLoan({ desk: borrower, store: sc.store, stateDir: bdir, quoteId: q.quoteId, amount: parseEther('1'), termDays: 365 });
  await waitFor('the decision to be journaled', () => decidedOnce, 60_000);
  await crashing2.stop();
  const third = await service({ once: true });
  await third.done;
  const decisions = await lenderDesk.queryEvents('LoanDecided', [loan.requestId]);
  assert.equal(decisions.length, 1, 'decided exactly once');
  assert.notEqual(decisions[0]!.reason, 'InvalidDisclosure', 'the honest disclosure verifies against the reused tag key');
  // a further instance finds nothing to do
  const fourth = await service({ once: true });
  await fourth.done;
  assert.equal((await lenderDesk.queryEvents('QuoteAnswered', [q.quoteId])).length, 1);
  assert.equal((await lenderDesk.queryEvents('LoanDecided', [loan.requestId])).length, 1);
});

test('the CLI: deploy with a pricing file, quote and request with --json, a decision by hand', { timeout: 240_000 }, async () => {
  const lenderKey = sc.chain.keys[1]!;
  // bad input is refused before any transaction
  const bad = await run(['request', '--quote', '1'], sc.chain.keys[8]!);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--amount is required/);
  // the daemon's and the manual decision's flags too, before the node is even asked (a dead RPC here)
  for (const [args, message] of [
    [['decide', '--deployment', '1,x'], /--deployment must be an integer >= 1, got 'x'/],
    [['decide', '--request', '1', '--approve'], /--approve needs --rate/],
    [['decide', '--request', 'one', '--decline'], /--request must be an integer >= 1, got 'one'/],
  ] as const) {
    const early = await run([...args, '--rpc', 'http://127.0.0.1:1', '--state-dir', lenderDir()], lenderKey);
    assert.equal(early.code, 2, early.err);
    assert.match(early.err, message);
  }
  const badPricing = path.join(sc.dir, 'bad-pricing.json');
  writeFileSync(badPricing, JSON.stringify({ ...DEFAULT_PRICING, lossGivenDefault: 7 }));
  const refused = await run(['deploy', '--model', String(modelId), '--pricing', badPricing, '--state-dir', lenderDir()], lenderKey);
  assert.notEqual(refused.code, 0);
  assert.match(refused.err, /lossGivenDefault/);
  assert.equal((await lenderDesk.queryEvents('ModelDeployed')).length, 1, 'nothing deployed');

  const pricing = { ...DEFAULT_PRICING, marginBps: 900 };
  const pricingFile = path.join(sc.dir, 'pricing.json');
  writeFileSync(pricingFile, JSON.stringify(pricing));
  const deployed = await run(['deploy', '--model', String(modelId), '--pricing', pricingFile, '--state-dir', lenderDir(), '--json'], lenderKey);
  assert.equal(deployed.code, 0, deployed.err);
  const dep = JSON.parse(deployed.out) as { deploymentId: number };
  assert.equal(dep.deploymentId, 2);

  const bdir = path.join(sc.dir, 'borrower-cli');
  const svc = await service({ deploymentIds: [2] });
  try {
    const quoted = await run(['quote', '--deployment', '2', '--features', borrowerCsv, '--row', '4', '--amount', '1', '--state-dir', bdir, '--json'], sc.chain.keys[8]!);
    assert.equal(quoted.code, 0, quoted.err);
    const q = JSON.parse(quoted.out) as { quoteId: number; probability: number; rateBps: number };
    assert.ok(Math.abs(q.probability - sigmoid(dot(w, borrowerRows[4]!))) < 1e-3);
    const expected = priceLoan(pricing, q.probability, parseEther('1'), 365);
    assert.equal(q.rateBps, expected.rateBps);
    const human = await run(['quote', '--quote', String(q.quoteId), '--amount', '1', '--state-dir', bdir], sc.chain.keys[8]!);
    assert.equal(human.code, 0, human.err);
    assert.match(human.out, /probability of default \d+\.\d\d%/);
    const requested = await run(['request', '--quote', String(q.quoteId), '--amount', '1', '--wait', '--state-dir', bdir, '--json'], sc.chain.keys[8]!);
    assert.equal(requested.code, 0, requested.err);
    const r = JSON.parse(requested.out) as { requestId: number; decision: { rateBps: number; reason: string } };
    assert.equal(r.decision.reason, expected.reason);
    assert.equal(r.decision.rateBps, expected.approved ? expected.rateBps : 0);
  } finally {
    await svc.stop();
  }

  // with no service running, a request waits; the lender decides it by hand
  const borrower = await desk(9);
  const mdir = path.join(sc.dir, 'borrower-manual');
  const svc3 = await service({ deploymentIds: [2] });
  let q;
  try {
    q = await requestQuote({ desk: borrower, store: sc.store, stateDir: mdir, deploymentId: 2, features: borrowerCsv, row: 0, log: sc.log });
  } finally {
    await svc3.stop();
  }
  const loan = await requestLoan({ desk: borrower, store: sc.store, stateDir: mdir, quoteId: q.quoteId, amount: parseEther('3'), termDays: 90 });
  const serviceJournal = path.join(lenderDir(), 'loan-service.json');
  const daemonsFile = readFileSync(serviceJournal, 'utf8');
  const manual = await run(['decide', '--request', String(loan.requestId), '--approve', '--rate', '1234', '--amount', '2', '--state-dir', lenderDir()], lenderKey);
  assert.equal(manual.code, 0, manual.err);
  // a running daemon's journal is never written by the manual command (one writer per file)
  assert.equal(readFileSync(serviceJournal, 'utf8'), daemonsFile, 'loan-service.json untouched by a manual decision');
  assert.equal(manualDecisionJournal(lenderDir(), { readOnly: true }).value.loans[String(loan.requestId)]?.state, 'done');
  assert.match(manual.out, /approved at 12\.34% APR by hand/);
  const d = (await lenderDesk.queryEvents('LoanDecided', [loan.requestId]))[0]!;
  assert.equal(d.reason, 'Manual');
  assert.equal(d.rateBps, 1234);
  assert.equal(d.amount, parseEther('2'));
  const twice = await run(['decide', '--request', String(loan.requestId), '--decline', '--state-dir', lenderDir()], lenderKey);
  assert.equal(twice.code, 1);
  assert.match(twice.err, /already decided by hand/);
  // a run that crashed after its transaction but before its record: the chain still says no
  rmSync(path.join(lenderDir(), 'loan-manual.json'));
  const afterCrash = await run(['decide', '--request', String(loan.requestId), '--decline', '--state-dir', lenderDir()], lenderKey);
  assert.equal(afterCrash.code, 1);
  assert.match(afterCrash.err, /already decided on-chain \(approved, Manual, tx 0x[0-9a-f]{64}\)/);
  // the daemon finds nothing left to do and says so
  const once = await run(['decide', '--once', '--state-dir', lenderDir(), '--json'], lenderKey);
  assert.equal(once.code, 0, once.err);
  assert.equal((await lenderDesk.queryEvents('LoanDecided', [loan.requestId])).length, 1);
});

test('a deployment interrupted before or after its transaction is finished by the next run, never sent twice', { timeout: 120_000 }, async () => {
  const base = { repo: lenderRepo, desk: lenderDesk, store: sc.store, stateDir: lenderDir(), modelId, log: sc.log };
  const before = (await lenderDesk.queryEvents('ModelDeployed')).length;
  await assert.rejects(deployModel({ ...base, beforeDeploy: () => { throw new Error('crash before deployModel'); } }), /crash before/);
  const resumed = await deployModel(base);
  assert.equal(resumed.resumed, true);
  assert.equal((await lenderDesk.queryEvents('ModelDeployed')).length, before + 1);

  await assert.rejects(deployModel({ ...base, afterDeploy: () => { throw new Error('crash after deployModel'); } }), /crash after/);
  const found = await deployModel(base);
  assert.equal(found.resumed, true);
  const all = await lenderDesk.queryEvents('ModelDeployed');
  assert.equal(all.length, before + 2, 'the mined deployment was found on-chain, not sent again');
  assert.equal(all.at(-1)!.deploymentId, found.deploymentId);
  assert.equal(all.filter((e) => e.serviceCid === found.serviceCid).length, 1);
});

test('a running service picks up later deployments of its account, waits for missing material, and serves a retired deployment only until its pending work is done', { timeout: 300_000 }, async () => {
  // a service account of its own: nothing is deployed to it when it starts
  const serviceDesk = await desk(10);
  const serviceAccount = await serviceDesk.address();
  const lateLog = sc.log.child({ who: 'late-service' });
  const runService = (extra: Partial<Parameters<typeof startLoanService>[0]> = {}) =>
    startLoanService({ desk: serviceDesk, store: sc.store, stateDir: lenderDir(), pollMs: 100, log: lateLog, ...extra });
  const lines = (what: string, deploymentId: number) => sc.logLines.filter((l) => l.includes('"who":"late-service"') && l.includes(what) && l.includes(`"deploymentId":${deploymentId}`));
  const borrower = await desk(11);
  const bdir = path.join(sc.dir, 'borrower-late');
  const base = { repo: lenderRepo, desk: lenderDesk, store: sc.store, stateDir: lenderDir(), modelId, service: serviceAccount, log: sc.log.child({ who: 'deploy' }) };

  const svc = await runService();
  let a: Awaited<ReturnType<typeof deployModel>>;
  let b: Awaited<ReturnType<typeof deployModel>>;
  let qa: Awaited<ReturnType<typeof requestQuote>>;
  let qb: Awaited<ReturnType<typeof requestQuote>>;
  let loanB: Awaited<ReturnType<typeof requestLoan>>;
  try {
    assert.deepEqual(svc.serving(), []);
    // deployment A's disclosure key is not on this machine when its ModelDeployed is seen
    let keyFile = '';
    a = await deployModel({
      ...base,
      beforeDeploy: () => {
        keyFile = Object.values(deploymentRecords(lenderDir())).find((r) => r.state === 'prepared')!.disclosureKeyFile;
        renameSync(keyFile, `${keyFile}.away`);
      },
    });
    b = await deployModel(base);
    await waitFor('the missing material of deployment A to be reported', () => lines('deployment not served', a.deploymentId).some((l) => l.includes('disclosure key file')), 60_000);
    assert.equal(lines('deployment not served', a.deploymentId).length, 1, 'warned once, not every poll');

    // B, deployed after the start, is served while A waits
    qb = await requestQuote({ desk: borrower, store: sc.store, stateDir: bdir, deploymentId: b.deploymentId, features: borrowerCsv, row: 6, timeoutMs: 60_000, log: sc.log });
    assert.ok(Math.abs(qb.logit - dot(w, borrowerRows[6]!)) < 1e-3, `encrypted logit ${qb.logit} vs plaintext`);
    loanB = await requestLoan({ desk: borrower, store: sc.store, stateDir: bdir, quoteId: qb.quoteId, amount: parseEther('1'), termDays: 365, wait: true, timeoutMs: 60_000, log: sc.log });
    assert.equal(loanB.decision?.reason, priceLoan(DEFAULT_PRICING, qb.probability, parseEther('1'), 365).reason);
    assert.deepEqual(svc.serving(), [b.deploymentId]);

    // the key file appears: A is picked up without a restart
    renameSync(`${keyFile}.away`, keyFile);
    qa = await requestQuote({ desk: borrower, store: sc.store, stateDir: bdir, deploymentId: a.deploymentId, features: borrowerCsv, row: 7, timeoutMs: 60_000, log: sc.log });
    assert.ok(Math.abs(qa.logit - dot(w, borrowerRows[7]!)) < 1e-3);
    assert.deepEqual(svc.serving(), [a.deploymentId, b.deploymentId]);
  } finally {
    await svc.stop();
  }

  // while the service is down: a loan request and a quote on A, then A is retired
  const loanA = await requestLoan({ desk: borrower, store: sc.store, stateDir: bdir, quoteId: qa.quoteId, amount: parseEther('1'), termDays: 365, log: sc.log });
  const quoting = requestQuote({ desk: borrower, store: sc.store, stateDir: path.join(sc.dir, 'borrower-late-retired'), deploymentId: a.deploymentId, features: borrowerCsv, row: 0, timeoutMs: 120_000, log: sc.log });
  await waitFor('the quote request on A', async () => (await lenderDesk.queryEvents('QuoteRequested', [null, a.deploymentId])).length === 2, 60_000);
  const retired = await run(['retire', '--deployment', String(a.deploymentId), '--json'], sc.chain.keys[1]!);
  assert.equal(retired.code, 0, retired.err);
  assert.equal((JSON.parse(retired.out) as { deploymentId: number }).deploymentId, a.deploymentId);
  assert.equal((await lenderDesk.queryEvents('DeploymentRetired', [a.deploymentId])).length, 1);
  // only the deployment's lender may retire it; the desk's refusal is shown by name
  const notLender = await run(['retire', '--deployment', String(b.deploymentId)], sc.chain.keys[11]!);
  assert.equal(notLender.code, 1);
  assert.match(notLender.err, /NotDeploymentLender/);
  const restarted = await runService();
  try {
    // requested before the retirement, so still answered and decided
    const q0 = await quoting;
    assert.ok(Math.abs(q0.logit - dot(w, borrowerRows[0]!)) < 1e-3);
    await waitFor('the loan request on retired A to be decided', async () => (await lenderDesk.queryEvents('LoanDecided', [loanA.requestId])).length === 1, 60_000);
    await waitFor('A to be dropped', () => lines('no longer served', a.deploymentId).length === 1, 30_000);
    assert.deepEqual(restarted.serving(), [b.deploymentId]);
    for (const quoteId of [qa.quoteId, qb.quoteId, q0.quoteId]) assert.equal((await lenderDesk.queryEvents('QuoteAnswered', [quoteId])).length, 1, `quote ${quoteId} answered once`);
    for (const requestId of [loanA.requestId, loanB.requestId]) assert.equal((await lenderDesk.queryEvents('LoanDecided', [requestId])).length, 1, `request ${requestId} decided once`);
  } finally {
    await restarted.stop();
  }

  // a retired deployment with nothing pending is not even loaded by the next start
  const loadsOfA = lines('deployment loaded', a.deploymentId).length;
  const last = await runService({ once: true });
  await last.done;
  assert.equal(lines('deployment loaded', a.deploymentId).length, loadsOfA);
  assert.equal(lines('no longer served', a.deploymentId).length, 2);

  // an explicit deployment id this account does not serve is refused at start
  await assert.rejects(runService({ deploymentIds: [1] }), /deployment 1 is served by 0x[0-9a-fA-F]{40}, not by this account/);
  await assert.rejects(runService({ deploymentIds: [99] }), /no deployment 99 on the LoanDesk at 0x[0-9a-fA-F]{40}, nor in /);
});

test('secret keys never reach the logs', () => {
  const all = sc.logLines.join('');
  const j = loanServiceJournal(lenderDir(), { readOnly: true }).value;
  for (const dep of Object.values(deploymentRecords(lenderDir()))) {
    const key = (JSON.parse(readFileSync(dep.disclosureKeyFile, 'utf8')) as { privateKey: string }).privateKey;
    assert.ok(!all.includes(key), 'disclosure private key not logged');
  }
  for (const dir of ['borrower-a', 'borrower-forger', 'borrower-restart', 'borrower-cli', 'borrower-late']) {
    for (const rec of Object.values(borrowerJournal(path.join(sc.dir, dir), { readOnly: true }).value.quotes)) {
      const sk = (JSON.parse(readFileSync(rec.secretKeyFile, 'utf8')) as { secretKey: string }).secretKey;
      assert.ok(!all.includes(sk.slice(0, 64)), 'borrower CKKS secret key not logged');
    }
  }
  for (const rec of Object.values(j.quotes)) {
    if (rec.tag) assert.ok(!all.includes(String(rec.tag.a)), 'tag keys not logged');
  }
  assert.ok(all.length > 1000, 'the daemons did log');
});
