// Preloaded (node --import) into the Hardhat node that startLocalChain spawns. Node has no
// parent-death signal, so a parent killed with SIGKILL used to leave the chain running; the
// parent holds the write end of the child's stdin, and the kernel closes it when the parent dies
// however it dies, so end-of-input here means "nobody owns this chain any more".
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
