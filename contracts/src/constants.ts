/** The token address the contract uses for ETH (credits, bounties, withdraw). */
export const ETH = '0x0000000000000000000000000000000000000000';
