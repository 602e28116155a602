// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// File-level, so IModelRepository and ILoanDesk both import the one declaration and each
// contract's ABI lists each error once, as it did when every interface declared its own.
/// @notice A CID argument is the empty string.
error EmptyCid();
/// @notice A CID argument is longer than the contracts accept (MAX_CID_LENGTH).
error CidTooLong(uint256 length, uint256 max);

/// @title CID bounds shared by ModelRepository and LoanDesk
/// @notice A CID is only ever stored in events, so the one check is its length: not empty (a
/// missing document) and not longer than MAX_LENGTH (calldata an attacker pays for but every
/// indexer must keep).
library Cids {
    /// @notice CIDv1 base32 sha2-256 strings are 59 bytes; this leaves room for longer hashes.
    uint256 internal constant MAX_LENGTH = 128;

    function check(string calldata cid) internal pure {
        uint256 len = bytes(cid).length;
        if (len == 0) revert EmptyCid();
        if (len > MAX_LENGTH) revert CidTooLong(len, MAX_LENGTH);
    }
}
