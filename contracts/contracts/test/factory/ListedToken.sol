// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title An ERC-20 with chosen decimals, listed by the factory test subgraph's pairs
/// @notice Test-only (anyone may mint). The subgraph reads `symbol()` and `decimals()` with
/// ethereum.call; `decimals()` can be made to revert so its `tryCall` path is exercised too.
contract ListedToken is ERC20 {
    uint8 private immutable _DECIMALS;
    bool private immutable _DECIMALS_REVERT;

    error NoDecimals();

    constructor(string memory name_, string memory symbol_, uint8 decimals_, bool decimalsRevert)
        ERC20(name_, symbol_)
    {
        _DECIMALS = decimals_;
        _DECIMALS_REVERT = decimalsRevert;
    }

    function decimals() public view override returns (uint8) {
        if (_DECIMALS_REVERT) revert NoDecimals();
        return _DECIMALS;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
