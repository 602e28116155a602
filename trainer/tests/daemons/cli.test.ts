// The CLI end to end with real processes: the lender opens a model from flags, the evaluator
// and an owner (account from an encrypted keystore) run as child daemons until SIGTERM and shut
// down cleanly; withdraw and close print results or readable errors; bad flags are usage errors.
// All content goes through a Kubo RPC endpoint (IPFS_API mode; Kubo's local stand-in).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatEther, Wallet } from 'ethers';
import { writeDeployment } from '@hessian/contracts';
import { train as main } from '../../../cli/commands/train.ts';
import { writeKeystore } from '@hessian/core/chain';
import { startKuboStandin } from '@hessian/core/test-kit';
import type { KuboStandin } from '@hessian/core/test-kit';
import { startScenario, waitFor, LABEL } from './helpers/scenario.ts';
import type { Scenario } from './helpers/scenario.ts';
import { MIN_SUBMISSION_STAKE } from '@hessian/core/model-repository';

const runCli = fileURLToPath(new URL('./helpers/run-cli.ts', import.meta.url));
let sc: Scenario;
let kubo: KuboStandin;
let common: string[];
before(async () => {
  sc = await startScenario({ owners: 1 });
  kubo = await startKuboStandin({ path: path.join(sc.dir, 'kubo') });
  const dep = path.join(sc.dir, 'deployment.json');
  await writeDeployment(dep, sc.chain.deployment);
  common = ['--rpc', sc.chain.url, '--deployment', dep, '--ipfs-api', kubo.url, '--poll-ms', '100'];
});
after(async () => {
  await kubo?.close();
  await sc?.cleanup();
});

function capture() {
  let text = '';
  return { stream: { write: (s: string) => ((text += s), true) }, get text() { return text; } };
}

function daemon(args: string[], env: Record<string, string>): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [runCli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out: () => out, exit };
}

test('lender, evaluate and owner from the command line; SIGTERM shuts the daemons down cleanly', { timeout: 200_000 }, async () => {
  const lenderKey = sc.chain.keys[1]!;
  const lenderDir = path.join(sc.dir, 'cli-lender');
  const stdout = capture();
  const stderr = capture();
  const code = await main(
    ['lender', '--data', sc.lenderCsv, '--label', LABEL, '--ckks', 'logistic-8192', '--bounty', '1', '--target', '0.75', '--min-batch', '256', '--state-dir', lenderDir, ...common],
    { stdout: stdout.stream, stderr: stderr.stream, env: { HESSIAN_PRIVATE_KEY: lenderKey } },
  );
  assert.equal(code, 0, stderr.text);
  const opened = JSON.parse(stdout.text) as { modelId: number; secretKeyFile: string; metadataCid: string };
  assert.ok(opened.modelId >= 1);
  assert.ok(await kubo.store.has(opened.metadataCid), 'published through the Kubo RPC');

  const ownerKey = sc.chain.keys[4]!;
  const keystore = path.join(sc.dir, 'owner-keystore.json');
  await writeKeystore(keystore, ownerKey, 'correct horse');
  const evaluator = daemon(['evaluate', '--state-dir', lenderDir, ...common], { HESSIAN_PRIVATE_KEY: lenderKey });
  const owner = daemon(['owner', '--data', sc.ownerCsvs[0]!, '--batch-size', '512', '--max-submissions', '1', '--state-dir', path.join(sc.dir, 'cli-owner'), ...common], {
    HESSIAN_KEYSTORE: keystore,
    HESSIAN_KEYSTORE_PASSWORD: 'correct horse',
  });
  const client = await sc.client(0);
  try {
    await waitFor('the owner\'s gradient to be evaluated', async () => (await client.queryEvents('GradientEvaluated', [null, opened.modelId])).length >= 1, 150_000);
  } finally {
    evaluator.child.kill('SIGTERM');
    owner.child.kill('SIGTERM');
  }
  assert.equal(await evaluator.exit, 0, evaluator.out());
  assert.equal(await owner.exit, 0, owner.out());
  for (const d of [evaluator, owner]) {
    assert.match(d.out(), /"msg":"shutting down","why":"signal SIGTERM"/);
    for (const line of d.out().trim().split('\n')) JSON.parse(line);
  }
  assert.match(owner.out(), /"msg":"gradient submitted"/);
  assert.match(owner.out(), /"msg":"progress".*"stage":"encrypted gradient","rowsDone":512,"rowsTotal":512/);
  assert.match(evaluator.out(), /"msg":"gradient (accepted|declined|rejected)"/);

  const secret = (JSON.parse(readFileSync(opened.secretKeyFile, 'utf8')) as { secretKey: string }).secretKey;
  const all = stdout.text + stderr.text + evaluator.out() + owner.out();
  assert.ok(!all.includes(secret.slice(200, 260)), 'the CKKS secret key is not in any output');
  for (const k of [lenderKey, ownerKey]) assert.ok(!all.toLowerCase().includes(k.slice(2).toLowerCase()), 'no private key in any output');

  // withdraw what the owner earned, with the keystore account
  const w = capture();
  const wCode = await main(['withdraw', ...common], { stdout: w.stream, stderr: capture().stream, env: { HESSIAN_KEYSTORE: keystore, HESSIAN_KEYSTORE_PASSWORD: 'correct horse' } });
  assert.equal(wCode, 0);
  const ev = (await client.queryEvents('GradientEvaluated', [null, opened.modelId]))[0]!;
  const reward = ev.name === 'GradientEvaluated' ? ev.reward : 0n;
  assert.ok(reward > 0n, 'the first gradient improved on AUC 0.5 and earned a reward');
  // the reward plus the stake (the lender's default: the contract minimum), returned with the verdict
  assert.equal(JSON.parse(w.text).amount, formatEther(reward + MIN_SUBMISSION_STAKE));

  // closing an open model early is refused with the contract's reason, readable
  const c = capture();
  const cCode = await main(['close', '--model', String(opened.modelId), ...common], { stdout: capture().stream, stderr: c.stream, env: { HESSIAN_PRIVATE_KEY: lenderKey } });
  assert.equal(cCode, 1);
  assert.match(c.text, /closeModel\(model \d+\) reverted: NotClosable\(modelId=\d+, status=Open/);
});

test('an owner daemon started twice on one state directory: the second is refused naming the holder, one gradient is submitted', { timeout: 200_000 }, async () => {
  const lenderKey = sc.chain.keys[1]!;
  const out = capture();
  const err = capture();
  const code = await main(
    ['lender', '--data', sc.lenderCsv, '--label', LABEL, '--ckks', 'logistic-8192', '--bounty', '1', '--target', '0.75', '--min-batch', '256', '--state-dir', path.join(sc.dir, 'cli-lender-twice'), ...common],
    { stdout: out.stream, stderr: err.stream, env: { HESSIAN_PRIVATE_KEY: lenderKey } },
  );
  assert.equal(code, 0, err.text);
  const { modelId } = JSON.parse(out.text) as { modelId: number };
  const ownerKey = sc.chain.keys[6]!;
  const ownerDir = path.join(sc.dir, 'cli-owner-twice');
  const args = ['owner', '--data', sc.ownerCsvs[0]!, '--batch-size', '512', '--max-submissions', '1', '--model', String(modelId), '--state-dir', ownerDir, ...common];
  const env = { HESSIAN_PRIVATE_KEY: ownerKey };
  // both at once, as an operator's shell beside a restarting compose service would
  const a = daemon(args, env);
  const b = daemon(args, env);
  const client = await sc.client(0);
  const owner = new Wallet(ownerKey).address;
  const mine = async () => (await client.queryEvents('GradientRevealed', [null, modelId, owner])).length;
  try {
    const [refused, survivor] = await Promise.race([a.exit.then(() => [a, b] as const), b.exit.then(() => [b, a] as const)]);
    assert.equal(await refused.exit, 1, refused.out());
    const file = path.join(ownerDir, `owner-${owner.toLowerCase()}.json`);
    assert.ok(refused.out().includes(`${file} is locked by another writer (pid ${survivor.child.pid} on host `), refused.out());
    assert.match(refused.out(), /Only one process may write a journal: stop the other daemon/);
    await waitFor('the survivor\'s gradient', async () => (await mine()) >= 1, 150_000);
    // a few more polls: nothing else is sent
    await new Promise((r) => setTimeout(r, 1_500));
    survivor.child.kill('SIGTERM');
    assert.equal(await survivor.exit, 0, survivor.out());
  } finally {
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
  }
  assert.equal(await mine(), 1, 'one submission');
  // the stopped daemon gave the lock back: a restart runs at once, and resubmits nothing
  const again = daemon(args, env);
  try {
    await waitFor('the restarted owner', async () => again.out().includes('"msg":"owner started"'), 60_000);
  } finally {
    again.child.kill('SIGTERM');
  }
  assert.equal(await again.exit, 0, again.out());
  assert.equal(await mine(), 1);
});

test('usage errors and help', async () => {
  const out = capture();
  const err = capture();
  assert.equal(await main([], { stdout: out.stream, stderr: err.stream }), 0);
  assert.match(out.text, /hessian train <command>/);
  assert.equal(await main(['bogus'], { stdout: out.stream, stderr: err.stream }), 2);
  assert.match(err.text, /unknown command 'bogus'/);
  const help = capture();
  assert.equal(await main(['owner', '--help'], { stdout: help.stream, stderr: err.stream }), 0);
  assert.match(help.text, /--min-bounty <value>/);
  // differential privacy is on by default, and its budget is a documented flag and variable
  assert.match(help.text, /--dp-noise <value> .*0 turns differential privacy off.*env HESSIAN_DP_NOISE, default 2\)/);
  assert.match(help.text, /--dp-epsilon-budget <value> .*refused.*env HESSIAN_DP_EPSILON_BUDGET, default 8\)/);
  assert.match(help.text, /--dp-clip <value>.*HESSIAN_DP_CLIP/);
  assert.match(help.text, /--dp-delta <value>.*HESSIAN_DP_DELTA, default 1e-6/);
  assert.doesNotMatch(help.text, /--seed/, 'the batch seed is a secret the owner makes, not a flag');
  const e5 = capture();
  assert.equal(await main(['owner', '--data', sc.ownerCsvs[0]!, '--dp-noise=-1', ...common], { stdout: out.stream, stderr: e5.stream, env: { HESSIAN_PRIVATE_KEY: sc.chain.keys[2]! } }), 2);
  assert.match(e5.text, /--dp-noise must be a number >= 0, got '-1'/);
  const e2 = capture();
  assert.equal(await main(['owner', '--nope'], { stdout: out.stream, stderr: e2.stream }), 2);
  assert.match(e2.text, /Unknown option '--nope'/);
  const e3 = capture();
  assert.equal(await main(['lender', '--bounty', 'lots', '--data', sc.lenderCsv, '--label', LABEL, '--target', '0.7', ...common], { stdout: out.stream, stderr: e3.stream, env: { HESSIAN_PRIVATE_KEY: sc.chain.keys[1]! } }), 2);
  assert.match(e3.text, /--bounty must be an amount of ETH like 1.5, got 'lots'/);
  const e4 = capture();
  assert.equal(await main(['withdraw', ...common], { stdout: out.stream, stderr: e4.stream, env: {} }), 1);
  assert.match(e4.text, /no Ethereum account: set HESSIAN_KEYSTORE/);
});
