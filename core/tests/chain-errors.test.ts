// The revert decoder knows no contract: each contract registers its errors, hints and enum names,
// and a revert from any registered contract reads the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Interface } from 'ethers';
import { describeChainError, decodeRevert, registerContractErrors } from '../src/chain/errors.ts';
import { modelRepositoryInterface } from '../src/chain/model-repository/index.ts';

const fakeAbi = [
  {
    type: 'error',
    name: 'FakeShelfEmpty',
    inputs: [
      { name: 'shelfId', type: 'uint256', internalType: 'uint256' },
      { name: 'state', type: 'uint8', internalType: 'enum IFake.ShelfState' },
    ],
  },
];

test('a revert from a registered contract is named, its enum argument spelled out and its hint appended', () => {
  registerContractErrors({ abi: fakeAbi, hints: { FakeShelfEmpty: 'the shelf has nothing on it' }, enums: { 'enum IFake.ShelfState': ['None', 'Stocked', 'Empty'] } });
  const data = new Interface(fakeAbi).encodeErrorResult('FakeShelfEmpty', [7n, 2]);
  const err = describeChainError({ code: 'CALL_EXCEPTION', data }, 'takeFromShelf(7)');
  assert.equal(err.errorName, 'FakeShelfEmpty');
  assert.deepEqual(err.errorArgs, { shelfId: '7', state: 'Empty' });
  assert.equal(err.message, 'takeFromShelf(7) reverted: FakeShelfEmpty(shelfId=7, state=Empty): the shelf has nothing on it');
  assert.equal(err.kind, 'fatal');
});

test("ModelRepository registers its own hints and enum names: core's decoder names none of them", () => {
  const data = modelRepositoryInterface.encodeErrorResult('ModelNotOpen', [3n, 2]);
  const err = describeChainError({ data }, 'commitGradient(model 3)', modelRepositoryInterface);
  assert.equal(err.message, 'commitGradient(model 3) reverted: ModelNotOpen(modelId=3, status=TargetReached): the model does not accept submissions');
  assert.deepEqual(decodeRevert({ data })?.args, { modelId: '3', status: 'TargetReached' }, 'the default interface holds every registered contract');
});

test('revert data no registered contract declares is not decoded', () => {
  assert.equal(decodeRevert({ data: '0xdeadbeef' }), undefined);
});
