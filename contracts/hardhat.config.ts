import { createRequire } from 'node:module';
import { defineConfig } from 'hardhat/config';
import hardhatEthers from '@nomicfoundation/hardhat-ethers';
import hardhatNetworkHelpers from '@nomicfoundation/hardhat-network-helpers';
import hardhatNodeTestRunner from '@nomicfoundation/hardhat-node-test-runner';

const require = createRequire(import.meta.url);

export default defineConfig({
  plugins: [hardhatEthers, hardhatNetworkHelpers, hardhatNodeTestRunner],
  solidity: {
    // solc-js from npm: binaries.soliditylang.org is unreachable on CI and offline machines
    version: '0.8.37',
    path: require.resolve('solc/soljson.js'),
    settings: {
      optimizer: { enabled: true, runs: 10_000 },
      evmVersion: 'cancun',
      viaIR: true,
      // bytecode independent of comments and paths, so abi/*.json changes only when code does
      metadata: { bytecodeHash: 'none' },
    },
  },
  paths: {
    tests: { nodejs: 'test' },
  },
});
