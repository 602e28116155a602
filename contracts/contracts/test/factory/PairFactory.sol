// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Pair} from "./Pair.sol";

/// @title Factory of the factory/pair test subgraph (the shape of an AMM's factory)
/// @notice Test-only. Creates one Pair per ordered token couple; the subgraph follows each new
/// pair through a data source template created from the PairCreated handler.
contract PairFactory {
    address[] public allPairs;
    mapping(address token0 => mapping(address token1 => address pair)) public getPair;

    event PairCreated(address indexed token0, address indexed token1, address pair, uint256 index, string name);

    error IdenticalTokens();
    error PairExists();

    /// @dev tokens keep the caller's order (no sorting): the test's expected values stay readable
    function createPair(address token0, address token1, string calldata name) external returns (address pair) {
        if (token0 == token1) revert IdenticalTokens();
        if (getPair[token0][token1] != address(0)) revert PairExists();
        pair = address(new Pair(token0, token1));
        getPair[token0][token1] = pair;
        allPairs.push(pair);
        emit PairCreated(token0, token1, pair, allPairs.length, name);
    }

    function allPairsLength() external view returns (uint256) {
        return allPairs.length;
    }
}
