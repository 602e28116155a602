// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice A rebasing token: `rebase` sets any holder's balance without a transfer, as a
/// positive or negative rebase (or a slashing) does to the repository's balance.
contract RebasingToken is ERC20 {
    constructor() ERC20("Rebasing Token", "REB") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function rebase(address holder, uint256 newBalance) external {
        uint256 current = balanceOf(holder);
        if (newBalance > current) _mint(holder, newBalance - current);
        else _burn(holder, current - newBalance);
    }
}
