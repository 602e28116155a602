import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';

/** a valid raw CID for a string (documents in tests point at content that need not exist) */
export async function cidOf(s: string): Promise<string> {
  return CID.createV1(0x55, await sha256.digest(new TextEncoder().encode(s))).toString();
}
