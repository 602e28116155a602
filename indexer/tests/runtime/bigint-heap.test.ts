// graph-ts BigInts are written into the heap straight from the number (AscHeap.writeSignedLE):
// the bytes must be exactly num-bigint's minimal two's complement (`toSignedLE`), at every length
// boundary and on both sides of the fast paths (2^53, 2^63). Both share one encoder
// (signedLEInto), so both are also held to a reference computed here from the definition.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { fromSignedLE, toSignedLE } from '../../src/runtime/bigint.ts';
import { AscHeap, ClassIds } from '../../src/runtime/heap.ts';

/** The fewest bytes k with -2^(8k-1) <= n < 2^(8k-1) (none for 0), n mod 2^(8k) little-endian. */
function reference(n: bigint): number[] {
  if (n === 0n) return [];
  let k = 1;
  while (n < -(1n << BigInt(8 * k - 1)) || n >= 1n << BigInt(8 * k - 1)) k++;
  const u = BigInt.asUintN(8 * k, n);
  return Array.from({ length: k }, (_, i) => Number((u >> BigInt(8 * i)) & 255n));
}

/** A heap over plain memory: `__new` bumps a pointer, as the stub runtime does. */
function heap(): AscHeap {
  const memory = new WebAssembly.Memory({ initial: 4 });
  let top = 1024;
  const exports = {
    memory,
    id_of_type: (t: number) => t + 100,
    __new: (size: number, classId: number) => {
      const ptr = top + 20;
      const view = new DataView(memory.buffer);
      view.setUint32(ptr - 8, classId, true);
      view.setUint32(ptr - 4, size, true);
      top = ptr + size + ((16 - (size % 16)) % 16);
      return ptr;
    },
  };
  return new AscHeap(exports, new ClassIds());
}

describe('AscHeap.writeSignedLE', () => {
  it('writes the bytes toSignedLE gives, at every boundary and for random values of every size', () => {
    const values: bigint[] = [0n];
    for (let bits = 0; bits <= 80; bits++) {
      const p = 1n << BigInt(bits);
      for (const d of [-2n, -1n, 0n, 1n]) values.push(p + d, -(p + d));
    }
    for (let i = 0; i < 2000; i++) {
      const bytes = 1 + (randomBytes(1)[0]! % 12);
      const n = BigInt(`0x${randomBytes(bytes).toString('hex')}`);
      values.push(randomBytes(1)[0]! & 1 ? -n : n);
    }
    const h = heap();
    for (const n of values) {
      const got = h.readBytes(h.writeSignedLE(n));
      assert.deepEqual([...got], [...toSignedLE(n)], `bytes of ${n}`);
      assert.deepEqual([...got], reference(n), `bytes of ${n} (reference)`);
      assert.equal(fromSignedLE(got), n);
    }
  });
});
