// The @hessian/contracts package surface other packages import: exported ABIs (must match a
// fresh compile), enums, scores, the deployment file, deployHessian and the deploy script.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Contract, JsonRpcProvider, Wallet } from 'ethers';
import hre from 'hardhat';
import {
  GradientStatus,
  MAX_SUBMISSION_PERIOD,
  MIN_SUBMISSION_STAKE,
  PRIVACY_SCALE,
  REVEAL_WINDOW,
  Verdict,
  sealOf,
  MAX_CID_LENGTH,
  MAX_EVALUATION_WINDOW,
  MAX_METRIC_LENGTH,
  MAX_RATE_BPS,
  MAX_SCORE,
  MAX_TERM_DAYS,
  RewardRule,
  SCORE_SCALE,
  deployHessian,
  enumName,
  enumNames,
  fromScore,
  loanDeskAbi,
  loanDeskArtifact,
  loanDeskBytecode,
  modelRepositoryAbi,
  modelRepositoryArtifact,
  modelRepositoryBytecode,
  parseDeployment,
  readDeployment,
  testTokenAbi,
  testTokenArtifact,
  testTokenBytecode,
  pairFactoryArtifact,
  pairArtifact,
  listedTokenArtifact,
  toScore,
  writeDeployment,
  type Deployment,
} from '../src/index.ts';
import { freePort, startLocalChain, type LocalChain } from '../src/local-chain.ts';
import * as vocabulary from '../src/vocabulary.ts';

const root = path.join(import.meta.dirname, '..');

describe('exported ABIs', () => {
  for (const [name, exported] of [
    ['ModelRepository', modelRepositoryArtifact],
    ['LoanDesk', loanDeskArtifact],
    ['TestToken', testTokenArtifact],
    ['PairFactory', pairFactoryArtifact],
    ['Pair', pairArtifact],
    ['ListedToken', listedTokenArtifact],
  ] as const) {
    it(`abi/${name}.json matches a fresh compile (run npm run build -w @hessian/contracts)`, async () => {
      const artifact = await hre.artifacts.readArtifact(name);
      assert.deepEqual(exported.abi, artifact.abi, `abi/${name}.json ABI is stale`);
      assert.equal(exported.bytecode, artifact.bytecode, `abi/${name}.json bytecode is stale`);
      assert.equal(exported.contractName, name);
    });
  }

  it('exports ABIs and bytecode under the agreed names', () => {
    assert.equal(modelRepositoryAbi, modelRepositoryArtifact.abi);
    assert.equal(loanDeskAbi, loanDeskArtifact.abi);
    assert.equal(testTokenAbi, testTokenArtifact.abi);
    assert.match(modelRepositoryBytecode, /^0x[0-9a-f]{1000,}$/);
    assert.match(loanDeskBytecode, /^0x[0-9a-f]{1000,}$/);
    assert.match(testTokenBytecode, /^0x[0-9a-f]{1000,}$/);
  });
});

describe('enums and scores', () => {
  it('mirror the Solidity enums in declaration order', async () => {
    const declared = new Map<string, string[]>();
    for (const file of ['IModelRepository.sol', 'ILoanDesk.sol']) {
      const source = await readFile(path.join(root, 'contracts', 'interfaces', file), 'utf8');
      for (const m of source.matchAll(/enum (\w+) \{([^}]*)\}/g)) {
        const body = m[2]!.replace(/\/\/.*$/gm, '');
        declared.set(m[1]!, body.split(',').map((x) => x.trim()).filter(Boolean));
      }
    }
    // every enum the package exports (a plain object of numbers), so none goes unchecked
    const mirrors = Object.fromEntries(
      Object.entries(vocabulary).filter(([, v]) => typeof v === 'object' && v !== null && Object.values(v).every((x) => typeof x === 'number')),
    ) as Record<string, Record<string, number>>;
    assert.deepEqual([...declared.keys()].sort(), Object.keys(mirrors).sort());
    for (const [name, values] of declared) {
      assert.deepEqual(mirrors[name], Object.fromEntries(values.map((v, i) => [v, i])), name);
    }
    assert.equal(enumName(GradientStatus, 6n), 'Expired');
    assert.equal(enumName(Verdict, 2), 'Declined');
    assert.throws(() => enumName(RewardRule, 2), /2 is not one of Improvement=0, EqualShare=1/);
    for (const [name, values] of declared) assert.deepEqual(enumNames(mirrors[name]!), values, `enumNames(${name})`);
  });

  it('vocabulary.ts imports nothing, so a browser bundle can take it without ethers or the ABIs', async () => {
    const files = ['vocabulary.ts', 'enums.ts', 'scores.ts', 'constants.ts'];
    for (const f of files) {
      const text = await readFile(path.join(root, 'src', f), 'utf8');
      const from = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
      assert.deepEqual(from.filter((s) => !files.includes(s.replace('./', ''))), [], `${f} imports`);
    }
  });

  it('agree with the contract constants', async () => {
    const { ethers } = await hre.network.create();
    const repo = await ethers.deployContract('ModelRepository');
    assert.equal(await repo.SCORE_SCALE(), SCORE_SCALE);
    assert.equal(await repo.MAX_SCORE(), MAX_SCORE);
    assert.equal(await repo.MAX_CID_LENGTH(), BigInt(MAX_CID_LENGTH));
    assert.equal(await repo.MAX_EVALUATION_WINDOW(), BigInt(MAX_EVALUATION_WINDOW));
    assert.equal(await repo.REVEAL_WINDOW(), BigInt(REVEAL_WINDOW));
    assert.equal(await repo.MAX_SUBMISSION_PERIOD(), BigInt(MAX_SUBMISSION_PERIOD));
    assert.equal(await repo.MIN_SUBMISSION_STAKE(), MIN_SUBMISSION_STAKE);
    assert.equal(await repo.PRIVACY_SCALE(), PRIVACY_SCALE);
    const desk = await ethers.deployContract('LoanDesk', [await repo.getAddress()]);
    assert.equal(await desk.MAX_CID_LENGTH(), BigInt(MAX_CID_LENGTH));
    assert.equal(await desk.MAX_METRIC_LENGTH(), BigInt(MAX_METRIC_LENGTH));
    assert.equal(await desk.MAX_TERM_DAYS(), BigInt(MAX_TERM_DAYS));
    assert.equal(await desk.MAX_RATE_BPS(), BigInt(MAX_RATE_BPS));
  });

  it('sealOf computes the seal exactly as the contract does (contributor, model, commitment, CID and salt all count)', async () => {
    const { ethers } = await hre.network.create();
    const repo = await ethers.deployContract('ModelRepository');
    const who = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
    const commitment = `0x${'c0'.repeat(32)}`;
    const salt = `0x${'5a'.repeat(32)}`;
    const cid = 'bafkreidvbhs33ighmljlvr7zbv2ywwzcmp5adtf4kqvlly67cy56bdtmve';
    const seal = sealOf(who, 7n, commitment, cid, salt);
    assert.equal(seal, await repo.sealOf(who, 7n, commitment, cid, salt));
    assert.match(seal, /^0x[0-9a-f]{64}$/);
    const others = [
      sealOf(ETH_ADDR, 7n, commitment, cid, salt),
      sealOf(who, 8, commitment, cid, salt),
      sealOf(who, 7n, salt, cid, salt),
      sealOf(who, 7n, commitment, `${cid}x`, salt),
      sealOf(who, 7n, commitment, cid, commitment),
    ];
    assert.equal(new Set([seal, ...others]).size, 6);
    for (const [i, s] of others.entries()) assert.equal(s, await repo.sealOf(...[[ETH_ADDR, 7n, commitment, cid, salt], [who, 8, commitment, cid, salt], [who, 7n, salt, cid, salt], [who, 7n, commitment, `${cid}x`, salt], [who, 7n, commitment, cid, commitment]][i]!));
  });

  it('convert between fractions and fixed point, refusing out-of-range values', () => {
    assert.equal(toScore(0.75), 750_000n);
    assert.equal(toScore(1), 1_000_000n);
    assert.equal(fromScore(812_345n), 0.812345);
    assert.throws(() => toScore(1.5), /score must be a number in \[0, 1\], got 1.5/);
    assert.throws(() => toScore(Number.NaN), /got NaN/);
  });
});

const ETH_ADDR = '0x0000000000000000000000000000000000000000';
const sample: Deployment = {
  network: 'localhost',
  chainId: 31337,
  contracts: {
    ModelRepository: { address: '0x5FbDB2315678afecb367f032d93F642f64180aa3', startBlock: 1, transactionHash: `0x${'ab'.repeat(32)}` },
    LoanDesk: { address: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512', startBlock: 2, transactionHash: `0x${'ef'.repeat(32)}` },
    TestToken: { address: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0', startBlock: 3, transactionHash: `0x${'cd'.repeat(32)}` },
  },
};

describe('deployment file', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hessian-deploy-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('still loads files written before LoanDesk existed', () => {
    const { LoanDesk: _omitted, ...older } = sample.contracts;
    const parsed = parseDeployment({ ...sample, contracts: older });
    assert.equal(parsed.contracts.LoanDesk, undefined);
    assert.deepEqual(parsed.contracts.ModelRepository, sample.contracts.ModelRepository);
  });

  it('round-trips through writeDeployment and readDeployment, creating directories', async () => {
    const file = path.join(dir, 'nested', 'localhost.json');
    await writeDeployment(file, sample);
    assert.deepEqual(await readDeployment(file), sample);
    assert.match(await readFile(file, 'utf8'), /^\{\n {2}"network": "localhost",/);
  });

  it('names the file and the bad field on invalid input', async () => {
    await assert.rejects(readDeployment(path.join(dir, 'missing.json')), /cannot read deployment file .*missing\.json/);
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, '{ not json');
    await assert.rejects(readDeployment(bad), /bad\.json is not JSON/);
    assert.throws(() => parseDeployment({ ...sample, chainId: '31337' }), /"chainId" must be a positive integer, got "31337"/);
    assert.throws(() => parseDeployment({ ...sample, network: '' }), /"network" must be a non-empty string/);
    assert.throws(() => parseDeployment({ ...sample, contracts: {} }), /"contracts.ModelRepository" must be an object/);
    assert.throws(
      () => parseDeployment({ ...sample, contracts: { ModelRepository: { ...sample.contracts.ModelRepository, address: '0x123' } } }, 'x.json'),
      /^Error: x\.json: "contracts.ModelRepository.address" is not an address: "0x123"$/,
    );
    assert.throws(() => parseDeployment({ ...sample, contracts: { ModelRepository: { ...sample.contracts.ModelRepository, startBlock: -1 } } }), /startBlock" must be a block number, got -1/);
    assert.throws(() => parseDeployment({ ...sample, contracts: { ...sample.contracts, TestToken: { ...sample.contracts.TestToken, transactionHash: '0x12' } } }), /"contracts.TestToken.transactionHash" is not a 32-byte hex string/);
    assert.throws(() => parseDeployment({ ...sample, contracts: { ...sample.contracts, LoanDesk: { ...sample.contracts.LoanDesk, address: 'desk' } } }), /"contracts.LoanDesk.address" is not an address: "desk"/);
    await assert.rejects(writeDeployment(path.join(dir, 'w.json'), { ...sample, chainId: 0 }), /"chainId" must be a positive integer/);
  });
});

describe('deployHessian', () => {
  it('deploys ModelRepository, LoanDesk and TestToken with plain ethers and records where', async () => {
    const { ethers } = await hre.network.create();
    const [signer] = await ethers.getSigners();
    const d = await deployHessian(signer!, { token: true });
    assert.equal(d.network, 'localhost');
    assert.equal(d.chainId, 31337);
    assert.equal(d.contracts.ModelRepository.startBlock, 1);
    assert.equal(d.contracts.LoanDesk!.startBlock, 2);
    assert.equal(d.contracts.TestToken!.startBlock, 3);
    const receipt = await ethers.provider.getTransactionReceipt(d.contracts.ModelRepository.transactionHash);
    assert.equal(receipt?.contractAddress, d.contracts.ModelRepository.address);
    const repo = new Contract(d.contracts.ModelRepository.address, modelRepositoryAbi, signer);
    assert.equal(await repo.getFunction('modelCount')(), 0n);
    const desk = new Contract(d.contracts.LoanDesk!.address, loanDeskAbi, signer);
    assert.equal(await desk.getFunction('repository')(), d.contracts.ModelRepository.address);
    assert.equal(await desk.getFunction('deploymentCount')(), 0n);
    const token = new Contract(d.contracts.TestToken!.address, testTokenAbi, signer);
    assert.equal(await token.getFunction('symbol')(), 'HTT');
    const only = await deployHessian(signer!, { network: 'dev' });
    assert.equal(only.network, 'dev');
    assert.equal(only.contracts.TestToken, undefined);
    assert.ok(only.contracts.LoanDesk, 'LoanDesk is deployed without --token too');
  });
});

describe('scripts/deploy.ts against a Hardhat node', () => {
  let chain: LocalChain | undefined;
  let url = '';
  let dir = '';
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hessian-node-'));
    chain = await startLocalChain();
    url = chain.url;
  });
  after(async () => {
    await chain?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('deploys over JSON-RPC, writes the file and prints the same deployment', async () => {
    const out = path.join(dir, 'localhost.json');
    const { code, stdout, stderr } = await runScript(['--rpc', url, '--token', '--out', out]);
    assert.equal(code, 0, stderr);
    const printed = parseDeployment(JSON.parse(stdout));
    assert.deepEqual(await readDeployment(out), printed);
    assert.equal(printed.chainId, 31337);
    const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true });
    try {
      assert.notEqual(await provider.getCode(printed.contracts.ModelRepository.address), '0x');
      assert.notEqual(await provider.getCode(printed.contracts.TestToken!.address), '0x');
      assert.notEqual(await provider.getCode(printed.contracts.LoanDesk!.address), '0x');
    } finally {
      provider.destroy();
    }
  });

  it('deploys with HESSIAN_DEPLOYER_KEY and never prints a malformed key', async () => {
    // the second funded account of the public Hardhat test mnemonic
    const key = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
    const ok = await runScript(['--rpc', url, '--no-write'], { HESSIAN_DEPLOYER_KEY: key });
    assert.equal(ok.code, 0, ok.stderr);
    const d = parseDeployment(JSON.parse(ok.stdout));
    const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true });
    try {
      const tx = await provider.getTransaction(d.contracts.ModelRepository.transactionHash);
      assert.equal(tx?.from, new Wallet(key).address);
    } finally {
      provider.destroy();
    }
    const secret = '0x1234deadbeefsecret';
    const bad = await runScript(['--rpc', url, '--no-write'], { HESSIAN_DEPLOYER_KEY: secret });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /HESSIAN_DEPLOYER_KEY is not a valid private key/);
    assert.ok(!bad.stderr.includes('deadbeef') && !bad.stdout.includes('deadbeef'), 'the key leaked into the output');
  });

  it('fails clearly when no node answers or the URL is bad', async () => {
    const port = await freePort();
    const down = await runScript(['--rpc', `http://127.0.0.1:${port}`, '--no-write']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /no JSON-RPC node answers at http:\/\/127\.0\.0\.1:\d+/);
    const bad = await runScript(['--rpc', 'not a url', '--no-write']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--rpc is not a URL: not a url/);
  });
});

function runScript(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'scripts', 'deploy.ts'), ...args], { cwd: root, env: { ...process.env, HESSIAN_DEPLOYER_KEY: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
