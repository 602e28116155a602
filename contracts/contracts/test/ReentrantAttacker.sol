// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IModelRepository} from "../interfaces/IModelRepository.sol";

/// @notice A malicious ETH receiver and a malicious ERC-20 in one: when it receives ETH, and when
/// the repository moves it as a token, it calls back into the repository with a preset call.
/// `lastError` records what the re-entrant call reverted with, so tests can assert the guard
/// (not some unrelated failure) stopped it.
contract ReentrantAttacker is ERC20 {
    IModelRepository public immutable REPOSITORY;
    bytes public reentryCall;
    bool public armed;
    bool public attempted;
    bool public reentrySucceeded;
    bytes public lastError;

    constructor(IModelRepository repository_) ERC20("Evil Token", "EVIL") {
        REPOSITORY = repository_;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @param call calldata for the repository, run once on the next ETH receipt or token transfer
    function arm(bytes calldata call) external {
        reentryCall = call;
        armed = true;
        attempted = false;
        reentrySucceeded = false;
        delete lastError;
    }

    function createModel(IModelRepository.CreateModelParams calldata p) external payable returns (uint256) {
        return REPOSITORY.createModel{value: msg.value}(p);
    }

    function commitGradient(uint256 modelId, bytes32 seal) external payable returns (uint256) {
        return REPOSITORY.commitGradient{value: msg.value}(modelId, seal);
    }

    function revealGradient(uint256 gradientId, string calldata cid, bytes32 commitment, bytes32 salt) external {
        REPOSITORY.revealGradient(gradientId, cid, commitment, salt, 0);
    }

    function withdraw(address token) external returns (uint256) {
        return REPOSITORY.withdraw(token, address(this));
    }

    function approveRepository(uint256 amount) external {
        _approve(address(this), address(REPOSITORY), amount);
    }

    receive() external payable {
        _reenter();
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (msg.sender == address(REPOSITORY)) _reenter();
    }

    function _reenter() private {
        if (!armed) return;
        armed = false;
        attempted = true;
        // the attack needs an arbitrary call
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory ret) = address(REPOSITORY).call(reentryCall);
        reentrySucceeded = ok;
        if (!ok) lastError = ret;
    }
}
