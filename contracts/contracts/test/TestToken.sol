// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title Hessian test token (HTT)
/// @notice The demo's and tests' bounty currency. Anyone may mint: it has no value, and a
/// faucet keeps local demos free of a token owner's key. Never deploy it as a real asset.
contract TestToken is ERC20 {
    constructor() ERC20("Hessian Test Token", "HTT") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
