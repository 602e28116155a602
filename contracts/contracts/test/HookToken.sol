// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {TransferHook} from "./TransferHook.sol";

/// @notice ERC-777-style: before tokens move, the token calls the hook the sender registered
/// (like tokensToSend), and after, the recipient's (like tokensReceived). Hooks run arbitrary
/// code in the middle of the repository's transferFrom and transfer.
contract HookToken is ERC20 {
    mapping(address account => address hook) public hookOf;

    constructor() ERC20("Hook Token", "HOOK") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setHook(address hook) external {
        hookOf[msg.sender] = hook;
    }

    function _update(address from, address to, uint256 value) internal override {
        address hook = from == address(0) ? address(0) : hookOf[from];
        if (hook != address(0)) TransferHook(hook).tokensToSend(from, to, value);
        super._update(from, to, value);
        hook = to == address(0) ? address(0) : hookOf[to];
        if (hook != address(0)) TransferHook(hook).tokensToSend(from, to, value);
    }
}
