// LoanDesk: deploying trained models, retiring deployments, encrypted quotes and their answers.
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { chainSuite } from './helpers/suite.ts';
import { CID, ETH, as, createModel, expectEvents, expectRevert, type AnyContract } from './helpers/chain.ts';
import { COMMITMENT, DESK_CID, answeredQuote, deploy, deployDesk, deployParams, requestQuote, trainedModel } from './helpers/desk.ts';

const ZERO = ETH;

chainSuite('LoanDesk: deployModel and retireDeployment', (get) => {
  let desk: AnyContract;
  let trained: bigint;
  before(async () => {
    desk = await deployDesk(get());
    trained = await trainedModel(get());
  });

  it('reads the repository it was built with and refuses the zero address', async () => {
    const env = get();
    assert.equal(await desk.repository(), await env.repo.getAddress());
    assert.equal(await desk.deploymentCount(), 0n);
    assert.equal(await desk.quoteCount(), 0n);
    assert.equal(await desk.loanRequestCount(), 0n);
    const factory = await env.ethers.getContractFactory('LoanDesk');
    await expectRevert(factory.deploy(ZERO), desk.interface, 'ZeroAddress');
  });

  it('deploys a TargetReached model with the score, target and version read from the repository', async () => {
    const env = get();
    const token = await env.token.getAddress();
    const params = deployParams(trained, { token, service: env.carol.address, metric: 'auc' });
    const tx = await as(desk, env.lender).deployModel(params);
    await expectEvents(tx, desk.interface, [
      ['ModelDeployed', [1n, trained, env.lender.address, env.carol.address, token, 1n, 850_000n, 800_000n, true, COMMITMENT, 'auc', CID.newWeights, DESK_CID.service]],
    ]);
    assert.equal(await desk.deploymentCount(), 1n);
    const d = await desk.getDeployment(1n);
    assert.equal(d.lender, env.lender.address);
    assert.equal(d.modelId, trained);
    assert.equal(d.status, 1n);
    assert.equal(d.service, env.carol.address);
    assert.equal(d.token, token);
  });

  it('defaults the service to the lender and numbers deployments of one model from 1', async () => {
    const env = get();
    const tx = await as(desk, env.lender).deployModel(deployParams(trained));
    await expectEvents(tx, desk.interface, [
      ['ModelDeployed', [1n, trained, env.lender.address, env.lender.address, ZERO, 1n, 850_000n, 800_000n, true, COMMITMENT, 'auc', CID.newWeights, DESK_CID.service]],
    ]);
    assert.equal(await deploy(env, desk, trained), 2n);
    assert.equal(await desk.deploymentCount(), 2n);
  });

  it('deploys a Closed model, reporting targetReached false when it closed at the deadline short of the target', async () => {
    const env = get();
    const missed = await trainedModel(env, { score: 700_000n, close: true });
    assert.equal((await env.repo.getModel(missed)).status, 3n);
    const tx = await as(desk, env.lender).deployModel(deployParams(missed, { metric: 'accuracy' }));
    await expectEvents(tx, desk.interface, [
      ['ModelDeployed', [1n, missed, env.lender.address, env.lender.address, ZERO, 1n, 700_000n, 800_000n, false, COMMITMENT, 'accuracy', CID.newWeights, DESK_CID.service]],
    ]);
    const reached = await trainedModel(env, { close: true });
    assert.equal(await deploy(env, desk, reached), 2n);
  });

  it('reverts UnknownModel for id 0 and ids past the repository count', async () => {
    const env = get();
    await expectRevert(as(desk, env.lender).deployModel(deployParams(0n)), desk.interface, 'UnknownModel', [0n]);
    await expectRevert(as(desk, env.lender).deployModel(deployParams(trained + 1n)), desk.interface, 'UnknownModel', [trained + 1n]);
  });

  it('reverts NotModelLender for anyone but the model lender, evaluator included', async () => {
    const env = get();
    await expectRevert(as(desk, env.stranger).deployModel(deployParams(trained)), desk.interface, 'NotModelLender', [trained, env.stranger.address, env.lender.address]);
    await expectRevert(as(desk, env.evaluator).deployModel(deployParams(trained)), desk.interface, 'NotModelLender', [trained, env.evaluator.address, env.lender.address]);
  });

  it('reverts ModelNotTrained for an Open model, with its status', async () => {
    const env = get();
    const open = await createModel(env);
    await expectRevert(as(desk, env.lender).deployModel(deployParams(open)), desk.interface, 'ModelNotTrained', [open, 1n]);
  });

  it('checks CIDs, metric and commitment, accepting the bounds', async () => {
    const env = get();
    const lender = as(desk, env.lender);
    await expectRevert(lender.deployModel(deployParams(trained, { weightsCid: '' })), desk.interface, 'EmptyCid');
    await expectRevert(lender.deployModel(deployParams(trained, { serviceCid: '' })), desk.interface, 'EmptyCid');
    await expectRevert(lender.deployModel(deployParams(trained, { weightsCid: 'b'.repeat(129) })), desk.interface, 'CidTooLong', [129n, 128n]);
    await expectRevert(lender.deployModel(deployParams(trained, { serviceCid: 'b'.repeat(200) })), desk.interface, 'CidTooLong', [200n, 128n]);
    await expectRevert(lender.deployModel(deployParams(trained, { metric: '' })), desk.interface, 'InvalidMetric');
    await expectRevert(lender.deployModel(deployParams(trained, { metric: 'x'.repeat(17) })), desk.interface, 'InvalidMetric');
    await expectRevert(lender.deployModel(deployParams(trained, { weightsCommitment: `0x${'00'.repeat(32)}` })), desk.interface, 'ZeroCommitment');
    await lender.deployModel(deployParams(trained, { weightsCid: 'b'.repeat(128), serviceCid: 'c', metric: 'x'.repeat(16) }));
    assert.equal(await desk.deploymentCount(), 1n);
  });

  it('retires a deployment for its lender only, once', async () => {
    const env = get();
    const id = await deploy(env, desk, trained);
    await expectRevert(as(desk, env.carol).retireDeployment(id), desk.interface, 'NotDeploymentLender', [id, env.carol.address, env.lender.address]);
    await expectRevert(as(desk, env.stranger).retireDeployment(id), desk.interface, 'NotDeploymentLender', [id, env.stranger.address, env.lender.address]);
    const tx = await as(desk, env.lender).retireDeployment(id);
    await expectEvents(tx, desk.interface, [['DeploymentRetired', [id, trained, env.lender.address]]]);
    assert.equal((await desk.getDeployment(id)).status, 2n);
    await expectRevert(as(desk, env.lender).retireDeployment(id), desk.interface, 'DeploymentNotActive', [id, 2n]);
    await expectRevert(as(desk, env.lender).retireDeployment(0n), desk.interface, 'UnknownDeployment', [0n]);
    await expectRevert(as(desk, env.lender).retireDeployment(id + 1n), desk.interface, 'UnknownDeployment', [id + 1n]);
    await expectRevert(desk.getDeployment(id + 1n), desk.interface, 'UnknownDeployment', [id + 1n]);
  });
});

chainSuite('LoanDesk: requestQuote and answerQuote', (get) => {
  let desk: AnyContract;
  let deployment: bigint;
  before(async () => {
    const env = get();
    desk = await deployDesk(env);
    deployment = await deploy(env, desk, await trainedModel(env));
  });

  it('records a quote request from any address, ids global across deployments', async () => {
    const env = get();
    const tx = await as(desk, env.alice).requestQuote(deployment, DESK_CID.query);
    await expectEvents(tx, desk.interface, [['QuoteRequested', [1n, deployment, env.alice.address, DESK_CID.query]]]);
    const q = await desk.getQuote(1n);
    assert.equal(q.borrower, env.alice.address);
    assert.equal(q.deploymentId, deployment);
    assert.equal(q.requestId, 0n);
    assert.equal(q.status, 1n);
    const other = await deploy(env, desk, (await desk.getDeployment(deployment)).modelId);
    assert.equal(await requestQuote(desk, other, env.lender), 2n);
    assert.equal(await requestQuote(desk, deployment, env.alice), 3n);
    assert.equal(await desk.quoteCount(), 3n);
  });

  it('refuses unknown and retired deployments and bad CIDs', async () => {
    const env = get();
    await expectRevert(as(desk, env.alice).requestQuote(0n, DESK_CID.query), desk.interface, 'UnknownDeployment', [0n]);
    await expectRevert(as(desk, env.alice).requestQuote(deployment + 1n, DESK_CID.query), desk.interface, 'UnknownDeployment', [deployment + 1n]);
    await expectRevert(as(desk, env.alice).requestQuote(deployment, ''), desk.interface, 'EmptyCid');
    await expectRevert(as(desk, env.alice).requestQuote(deployment, 'q'.repeat(129)), desk.interface, 'CidTooLong', [129n, 128n]);
    await as(desk, env.lender).retireDeployment(deployment);
    await expectRevert(as(desk, env.alice).requestQuote(deployment, DESK_CID.query), desk.interface, 'DeploymentNotActive', [deployment, 2n]);
    assert.equal(await desk.quoteCount(), 0n);
  });

  it('lets the service answer a quote once, naming the borrower', async () => {
    const env = get();
    const quoteId = await requestQuote(desk, deployment, env.bob);
    const tx = await as(desk, env.carol).answerQuote(quoteId, DESK_CID.result);
    await expectEvents(tx, desk.interface, [['QuoteAnswered', [quoteId, deployment, env.bob.address, DESK_CID.result]]]);
    assert.equal((await desk.getQuote(quoteId)).status, 2n);
    await expectRevert(as(desk, env.carol).answerQuote(quoteId, DESK_CID.result), desk.interface, 'QuoteNotRequested', [quoteId, 2n]);
  });

  it('reverts NotService for the lender, the borrower and strangers when the service is another address', async () => {
    const env = get();
    const quoteId = await requestQuote(desk, deployment, env.alice);
    for (const who of [env.lender, env.alice, env.stranger]) {
      await expectRevert(as(desk, who).answerQuote(quoteId, DESK_CID.result), desk.interface, 'NotService', [deployment, who.address, env.carol.address]);
    }
  });

  it('lets the lender answer when it is its own service', async () => {
    const env = get();
    const own = await deploy(env, desk, (await desk.getDeployment(deployment)).modelId, { service: ZERO });
    const quoteId = await requestQuote(desk, own, env.alice);
    await expectRevert(as(desk, env.carol).answerQuote(quoteId, DESK_CID.result), desk.interface, 'NotService', [own, env.carol.address, env.lender.address]);
    await as(desk, env.lender).answerQuote(quoteId, DESK_CID.result);
    assert.equal((await desk.getQuote(quoteId)).status, 2n);
  });

  it('reverts UnknownQuote and bad result CIDs', async () => {
    const env = get();
    await expectRevert(as(desk, env.carol).answerQuote(1n, DESK_CID.result), desk.interface, 'UnknownQuote', [1n]);
    await expectRevert(desk.getQuote(0n), desk.interface, 'UnknownQuote', [0n]);
    const quoteId = await requestQuote(desk, deployment, env.alice);
    await expectRevert(as(desk, env.carol).answerQuote(quoteId, ''), desk.interface, 'EmptyCid');
    await expectRevert(as(desk, env.carol).answerQuote(quoteId, 'r'.repeat(129)), desk.interface, 'CidTooLong', [129n, 128n]);
    assert.equal((await desk.getQuote(quoteId)).status, 1n);
  });

  it('still answers quotes requested before the deployment was retired', async () => {
    const env = get();
    const pending = await requestQuote(desk, deployment, env.alice);
    const answered = await answeredQuote(env, desk, deployment, env.bob);
    await as(desk, env.lender).retireDeployment(deployment);
    const tx = await as(desk, env.carol).answerQuote(pending, DESK_CID.result);
    await expectEvents(tx, desk.interface, [['QuoteAnswered', [pending, deployment, env.alice.address, DESK_CID.result]]]);
    assert.equal((await desk.getQuote(answered)).status, 2n);
  });

  it('never holds ETH: no function is payable and plain transfers revert', async () => {
    const env = get();
    for (const f of desk.interface.fragments) {
      if (f.type === 'function' || f.type === 'constructor') assert.notEqual((f as { payable?: boolean }).payable, true, `${f.format('minimal')} is payable`);
    }
    const to = await desk.getAddress();
    await assert.rejects(env.alice.sendTransaction({ to, value: 1n }));
    const data = desk.interface.encodeFunctionData('requestQuote', [deployment, DESK_CID.query]);
    await assert.rejects(env.alice.sendTransaction({ to, value: 1n, data }));
    assert.equal(await env.ethers.provider.getBalance(to), 0n);
  });
});
