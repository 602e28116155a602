// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice A funder's hook: runs one preset call (e.g. closeModel on the repository) when called,
/// and records whether it went through.
contract TransferHook {
    address public target;
    bytes public hookCall;
    bool public armed;
    bool public attempted;
    bool public succeeded;
    /// @notice never reset by arm: whether any hook call ever went through
    bool public everSucceeded;
    bytes public lastError;

    function arm(address target_, bytes calldata call) external {
        target = target_;
        hookCall = call;
        armed = true;
        attempted = false;
        succeeded = false;
        delete lastError;
    }

    function tokensToSend(address, address, uint256) external {
        if (!armed) return;
        armed = false;
        attempted = true;
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory ret) = target.call(hookCall);
        succeeded = ok;
        if (ok) everSucceeded = true;
        if (!ok) lastError = ret;
    }
}
