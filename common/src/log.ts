// Structured JSON-lines logs for every Hessian process. Daemons handle secret keys and private
// keys, so every record passes a redaction guard before it is written: fields named like secrets
// are masked, byte arrays are summarised, and registered secret values are scrubbed from any string.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** a logger whose records carry these fields too (same sink, same secrets) */
  child(fields: LogFields): Logger;
  /** scrub this value (and its hex/base64 forms) from every later record */
  addSecret(secret: string | Uint8Array): void;
}

export interface LoggerOptions {
  /** where records go; default process.stderr (stdout stays free for command output) */
  stream?: { write(s: string): unknown };
  /** alternatively, a function given each record's line (without the newline) */
  write?: (line: string) => void;
  /** fields on every record */
  fields?: LogFields;
  level?: LogLevel;
  name?: string;
  /** overrides the clock in records (tests) */
  now?: () => Date;
}

const SECRET_KEY_NAME = /secret|private|password|passphrase|mnemonic|seed/i;
const REDACTED = '[redacted]';
/** shortest registered secret worth scrubbing: shorter values would mask ordinary text */
const MIN_SECRET_CHARS = 16;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** long secrets (serialized keys) are also matched by aligned chunks: any leaked run of 2x this many characters contains one */
const CHUNK = 64;

class Redactor {
  /** lower-cased secret strings */
  readonly secrets = new Set<string>();
  /**
   * lower-cased aligned CHUNK-long pieces of the long secrets. Looked up by each CHUNK-long window
   * of a string rather than searched for one by one: a serialized CKKS key has thousands of pieces,
   * and searching for each made every record cost time in proportion to the key's size.
   */
  readonly chunks = new Set<string>();

  add(secret: string | Uint8Array): void {
    if (typeof secret === 'string') {
      this.addString(secret);
      if (/^(0x)?[0-9a-fA-F]+$/.test(secret)) this.addString(secret.replace(/^0x/, ''));
      return;
    }
    const buf = Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength);
    this.addString(buf.toString('hex'));
    this.addString(buf.toString('base64'));
  }

  private addString(s: string): void {
    if (s.length < MIN_SECRET_CHARS) return;
    this.secrets.add(s.toLowerCase());
    if (s.length > 2 * CHUNK) for (let i = 0; i + CHUNK <= s.length; i += CHUNK) this.chunks.add(s.slice(i, i + CHUNK).toLowerCase());
  }

  scrubString(s: string): string {
    if (s.length < MIN_SECRET_CHARS) return s;
    let out = s;
    // hex may be printed in either case, so match without regard to case
    let lower = s.toLowerCase();
    const scrub = (secret: string) => {
      if (!lower.includes(secret)) return;
      out = out.replace(new RegExp(escapeRegExp(secret), 'gi'), REDACTED);
      lower = out.toLowerCase();
    };
    // whole secrets first, so a whole leak becomes one [redacted] rather than one per piece
    for (const secret of this.secrets) scrub(secret);
    if (this.chunks.size === 0 || lower.length < CHUNK) return out;
    const found = new Set<string>();
    for (let i = 0; i + CHUNK <= lower.length; i++) {
      const window = lower.slice(i, i + CHUNK);
      if (this.chunks.has(window)) found.add(window);
    }
    for (const chunk of found) scrub(chunk);
    return out;
  }

  value(v: unknown, depth: number, seen: WeakSet<object>): unknown {
    if (typeof v === 'string') return this.scrubString(v);
    if (typeof v === 'bigint') return v.toString();
    if (v === null || typeof v !== 'object') {
      if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
      return v;
    }
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return `[${v.byteLength} bytes]`;
    if (seen.has(v)) return '[circular]';
    if (depth > 6) return '[deep]';
    seen.add(v);
    if (v instanceof Error) {
      return {
        name: v.name,
        message: this.scrubString(v.message),
        ...(v.cause !== undefined ? { cause: this.value(v.cause, depth + 1, seen) } : {}),
      };
    }
    if (Array.isArray(v)) return v.slice(0, 100).map((x) => this.value(x, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      out[k] = SECRET_KEY_NAME.test(k) && x !== undefined && x !== null && typeof x !== 'boolean' ? REDACTED : this.value(x, depth + 1, seen);
    }
    return out;
  }
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const stream = opts.write ? { write: (s: string) => opts.write!(s.slice(0, -1)) } : (opts.stream ?? process.stderr);
  const min = LEVELS[opts.level ?? 'info'];
  const now = opts.now ?? (() => new Date());
  const redactor = new Redactor();
  const make = (base: LogFields): Logger => {
    const write = (level: LogLevel, msg: string, fields?: LogFields) => {
      if (LEVELS[level] < min) return;
      const record = redactor.value({ ...base, ...fields }, 0, new WeakSet()) as LogFields;
      const line = JSON.stringify({
        time: now().toISOString(),
        level,
        ...(opts.name ? { name: opts.name } : {}),
        msg: redactor.scrubString(msg),
        ...record,
      });
      stream.write(line + '\n');
    };
    return {
      debug: (m, f) => write('debug', m, f),
      info: (m, f) => write('info', m, f),
      warn: (m, f) => write('warn', m, f),
      error: (m, f) => write('error', m, f),
      child: (fields) => make({ ...base, ...fields }),
      addSecret: (s) => redactor.add(s),
    };
  };
  return make(opts.fields ?? {});
}

/** a logger that drops everything (library use without a sink) */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
  addSecret() {},
};

export function parseLogLevel(v: string | undefined, fallback: LogLevel = 'info'): LogLevel {
  if (v === undefined || v === '') return fallback;
  // own keys only: `in` also accepts inherited names (toString, constructor), which would log everything
  if (Object.hasOwn(LEVELS, v)) return v as LogLevel;
  throw new Error(`invalid log level "${v}": expected one of ${Object.keys(LEVELS).join(', ')}`);
}
