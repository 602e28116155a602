// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Pair of the factory/pair test subgraph
/// @notice Test-only bookkeeping, no tokens move: it emits the Swap/Sync events of an AMM pair
/// from amounts its caller states, so a test can script an exact history.
contract Pair {
    /// @notice topic of the anonymous Flagged event (an anonymous event has no signature topic)
    bytes32 public constant FLAG_TAG = keccak256("Pair.flag");

    // the getters keep an AMM pair's names (factory(), token0(), token1()), which mappings call
    // solhint-disable immutable-vars-naming
    address public immutable factory;
    address public immutable token0;
    address public immutable token1;
    // solhint-enable immutable-vars-naming
    uint112 public reserve0;
    uint112 public reserve1;

    event Sync(uint112 reserve0, uint112 reserve1);
    event Swap(
        address indexed sender,
        uint256 amount0In,
        uint256 amount1In,
        uint256 amount0Out,
        uint256 amount1Out,
        address indexed to
    );
    event Flagged(bytes32 indexed tag, address indexed by, string note) anonymous;

    error InsufficientReserve();

    constructor(address token0_, address token1_) {
        factory = msg.sender;
        token0 = token0_;
        token1 = token1_;
    }

    function addLiquidity(uint112 amount0, uint112 amount1) external {
        _update(uint256(reserve0) + amount0, uint256(reserve1) + amount1);
    }

    function swap(uint256 amount0In, uint256 amount1In, uint256 amount0Out, uint256 amount1Out, address to) external {
        uint256 r0 = uint256(reserve0) + amount0In;
        uint256 r1 = uint256(reserve1) + amount1In;
        if (amount0Out > r0 || amount1Out > r1) revert InsufficientReserve();
        emit Swap(msg.sender, amount0In, amount1In, amount0Out, amount1Out, to);
        _update(r0 - amount0Out, r1 - amount1Out);
    }

    function flag(string calldata note) external {
        emit Flagged(FLAG_TAG, msg.sender, note);
    }

    function _update(uint256 r0, uint256 r1) private {
        reserve0 = uint112(r0);
        reserve1 = uint112(r1);
        emit Sync(reserve0, reserve1);
    }
}
