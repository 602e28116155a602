// graph-node runs every trigger in a fresh instance. Creating a WebAssembly instance costs
// hundreds of microseconds here (most of it reserving linear memory), so the runtime instead
// resets one instance to its state right after `_start`: the memory is copied back and the
// module's mutable globals are set back. Globals a module does not export cannot be set from
// JS, so the binary is rewritten once, at load, to also export every mutable global it defines.
// Nothing else in the module changes.

class Reader {
  pos = 0;
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
  byte(): number {
    if (this.pos >= this.bytes.length) throw new Error('unexpected end of WASM binary');
    return this.bytes[this.pos++]!;
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new Error('LEB128 value too long');
    }
  }
  /** skip a signed LEB128 of any width */
  skipLeb(): void {
    while (this.byte() & 0x80);
  }
  skip(n: number): void {
    this.pos += n;
  }
  name(): string {
    const len = this.u32();
    const s = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }
}

function leb(n: number): number[] {
  const out: number[] = [];
  let v = n;
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

function skipLimits(r: Reader): void {
  const flags = r.byte();
  r.u32();
  if (flags & 1) r.u32();
}

function skipInitExpr(r: Reader): void {
  for (;;) {
    const op = r.byte();
    switch (op) {
      case 0x0b:
        return;
      case 0x41: // i32.const
      case 0x42: // i64.const
        r.skipLeb();
        break;
      case 0x43: // f32.const
        r.skip(4);
        break;
      case 0x44: // f64.const
        r.skip(8);
        break;
      case 0x23: // global.get
      case 0xd2: // ref.func
        r.u32();
        break;
      case 0xd0: // ref.null
        r.byte();
        break;
      case 0x6a: // i32.add/sub/mul, i64.add/sub/mul (extended constant expressions)
      case 0x6b:
      case 0x6c:
      case 0x7c:
      case 0x7d:
      case 0x7e:
        break;
      default:
        throw new Error(`unsupported opcode 0x${op.toString(16)} in a global initializer`);
    }
  }
}

export const GLOBAL_EXPORT_PREFIX = '__hessian_global_';

/**
 * The module with every mutable global it defines also exported as `__hessian_global_<index>`,
 * and those export names. Throws on a binary it does not understand.
 */
export function exportMutableGlobals(bytes: Uint8Array): { bytes: Uint8Array; names: string[] } {
  const r = new Reader(bytes);
  if (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new Error('not a WASM binary');
  r.pos = 8; // magic + version
  let importedGlobals = 0;
  const mutable: number[] = [];
  let exportSection: { start: number; end: number; bodyStart: number; count: number } | null = null;
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const start = r.pos;
    const end = start + size;
    if (id === 2) {
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        r.name();
        r.name();
        const kind = r.byte();
        if (kind === 0) r.u32();
        else if (kind === 1) {
          r.byte();
          skipLimits(r);
        } else if (kind === 2) skipLimits(r);
        else if (kind === 3) {
          r.byte();
          r.byte();
          importedGlobals++;
        } else if (kind === 4) {
          r.byte();
          r.u32();
        } else throw new Error(`unknown import kind ${kind}`);
      }
    } else if (id === 6) {
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        const type = r.byte();
        if (type !== 0x7f && type !== 0x7e && type !== 0x7d && type !== 0x7c) throw new Error('only numeric globals are supported');
        const mut = r.byte();
        skipInitExpr(r);
        if (mut === 1) mutable.push(importedGlobals + i);
      }
    } else if (id === 7) {
      exportSection = { start: start - 1 - leb(size).length, end, bodyStart: start, count: r.u32() };
    }
    r.pos = end;
  }
  if (!exportSection) throw new Error('module has no export section');
  const names = mutable.map((i) => `${GLOBAL_EXPORT_PREFIX}${i}`);
  const added: number[] = [];
  for (const [k, index] of mutable.entries()) {
    const name = new TextEncoder().encode(names[k]!);
    added.push(...leb(name.length), ...name, 0x03, ...leb(index));
  }
  const countBytes = leb(exportSection.count);
  const oldEntries = bytes.subarray(exportSection.bodyStart + countBytes.length, exportSection.end);
  const newCount = leb(exportSection.count + mutable.length);
  const body = new Uint8Array(newCount.length + oldEntries.length + added.length);
  body.set(newCount, 0);
  body.set(oldEntries, newCount.length);
  body.set(added, newCount.length + oldEntries.length);
  const header = [7, ...leb(body.length)];
  const out = new Uint8Array(exportSection.start + header.length + body.length + (bytes.length - exportSection.end));
  out.set(bytes.subarray(0, exportSection.start), 0);
  out.set(header, exportSection.start);
  out.set(body, exportSection.start + header.length);
  out.set(bytes.subarray(exportSection.end), exportSection.start + header.length + body.length);
  return { bytes: out, names };
}
