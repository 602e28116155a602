import SEAL from 'node-seal';
import type { MainModule } from 'node-seal';

export type Seal = MainModule;

let loading: Promise<Seal> | undefined;

/** The SEAL wasm module, loaded once per thread (each worker has its own instance). */
export function loadSeal(): Promise<Seal> {
  loading ??= SEAL();
  return loading;
}

interface Deletable { delete(): void; isDeleted(): boolean }

/**
 * Collects SEAL objects created in one operation and frees them all at the end: the wasm heap
 * never shrinks and leaked ciphertexts eventually crash it.
 */
export class Scope {
  private items: Deletable[] = [];
  add<T extends Deletable>(item: T): T {
    this.items.push(item);
    return item;
  }
  /** stop tracking an object the caller now owns */
  release<T extends Deletable>(item: T): T {
    const k = this.items.indexOf(item);
    if (k >= 0) this.items.splice(k, 1);
    return item;
  }
  free(): void {
    for (const it of this.items.splice(0).reverse()) if (!it.isDeleted()) it.delete();
  }
}

/** SEAL throws WebAssembly.Exception whose message is [C++ type, what()]; make it readable. */
export function sealErrorMessage(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e) {
    const m = (e as { message: unknown }).message;
    if (Array.isArray(m)) return m.filter((s) => typeof s === 'string').join(': ');
    if (typeof m === 'string') return m;
  }
  return String(e);
}
