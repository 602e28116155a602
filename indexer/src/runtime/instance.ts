/// <reference path="./wasm.d.ts" />
// A module instance that can be put back to its just-started state, so every trigger sees what a
// fresh instance would (graph-node's semantics) without paying for a new one: see wasm-globals.ts.
import { AscHeap, type AscExports, type ClassIds } from './heap.ts';

/** AssemblyScript's header size: BLOCK_OVERHEAD (4) + OBJECT_OVERHEAD (16) */
const HEADER = 20;

export class ModuleInstance {
  readonly exports: AscExports & Record<string, unknown>;
  readonly heap: AscHeap;
  private readonly globals: WebAssembly.Global[];
  private initial: unknown[] = [];
  private snapshot: Uint8Array | null = null;
  /** highest heap address a trigger reached since the snapshot */
  private highWater = 0;

  constructor(module: WebAssembly.Module, imports: WebAssembly.Imports, classIds: ClassIds, globalNames: string[]) {
    const instance = new WebAssembly.Instance(module, imports);
    this.exports = instance.exports as unknown as AscExports & Record<string, unknown>;
    this.heap = new AscHeap(this.exports, classIds);
    this.globals = globalNames.map((n) => this.exports[n] as WebAssembly.Global);
  }

  /** Run `_start` (graph-ts apiVersion > 0.0.4) and remember the resulting state. */
  start(resettable: () => boolean): void {
    (this.exports._start as (() => void) | undefined)?.();
    if (!resettable() || this.globals.some((g) => g === undefined)) return;
    this.initial = this.globals.map((g) => g.value);
    // a zero-size allocation tells where the bump allocator stands
    const top = this.exports.__new(0, 0) - HEADER;
    this.snapshot = new Uint8Array(this.exports.memory.buffer, 0, top).slice();
    this.highWater = top + HEADER;
    this.heap.stableBelow = top;
    // the first trigger must not carve objects from an arena `_start` left below the snapshot top
    this.heap.forget();
  }

  get resettable(): boolean {
    return this.snapshot !== null;
  }

  /** Note how far the last trigger allocated, so reset clears exactly that. */
  afterTrigger(): void {
    if (!this.snapshot) return;
    const top = this.exports.__new(0, 0);
    if (top > this.highWater) this.highWater = top;
  }

  /** Back to the state right after `_start`. */
  reset(): void {
    const snapshot = this.snapshot;
    if (!snapshot) throw new Error('instance cannot be reset');
    for (let i = 0; i < this.globals.length; i++) this.globals[i]!.value = this.initial[i];
    const memory = new Uint8Array(this.exports.memory.buffer);
    memory.set(snapshot, 0);
    // the stub allocator hands out memory as it finds it: make it as zeroed as fresh memory
    memory.fill(0, snapshot.length, Math.min(this.highWater, memory.length));
    this.highWater = snapshot.length + HEADER;
    this.heap.forget();
  }
}
