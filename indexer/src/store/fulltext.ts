// graph-node's `@fulltext` search on SQLite FTS5. graph-node keeps a tsvector column per directive
// in the entity's table (`to_tsvector(language, field)` of each included field, `||`-joined) and
// answers `to_tsquery(text)` matches ordered by `ts_rank`/`ts_rank_cd`. Here each directive is an
// external-content FTS5 table over the entity table's versions (rowid = `__vid`), kept in step by
// triggers: every inserted version is indexed, every deleted one (a revert, a version rewritten in
// its own block) unindexed, in the same transaction. Closing a version only moves its `__to`, so a
// search joins the matches to the versions valid at the queried block: time travel and reorgs
// need nothing more.
import type { Db } from '../db.ts';
import { FULLTEXT_LANGUAGES, type FulltextDef } from '../schema-directives.ts';
import { quoteIdent, type Layout } from './layout.ts';

export function fulltextTable(def: FulltextDef): string {
  return quoteIdent('fts_' + def.name);
}

/** The FTS5 table and triggers of every `@fulltext` directive (idempotent). */
export function fulltextDdl(layout: Layout): string[] {
  const out: string[] = [];
  for (const def of layout.schema.fulltexts) {
    const t = layout.tables.get(def.entity)!;
    const fts = fulltextTable(def);
    const cols = def.fields.map(quoteIdent);
    const tokenize = FULLTEXT_LANGUAGES[def.language]!.tokenize!;
    out.push(
      `CREATE VIRTUAL TABLE IF NOT EXISTS ${fts} USING fts5(${cols.join(', ')}, content=${t.sql}, content_rowid='__vid', tokenize='${tokenize}')`,
      `CREATE TRIGGER IF NOT EXISTS ${quoteIdent(`fts_${def.name}__insert`)} AFTER INSERT ON ${t.sql} BEGIN ` +
        `INSERT INTO ${fts} (rowid, ${cols.join(', ')}) VALUES (new.__vid, ${cols.map((c) => 'new.' + c).join(', ')}); END`,
      `CREATE TRIGGER IF NOT EXISTS ${quoteIdent(`fts_${def.name}__delete`)} AFTER DELETE ON ${t.sql} BEGIN ` +
        `INSERT INTO ${fts} (${fts}, rowid, ${cols.join(', ')}) VALUES ('delete', old.__vid, ${cols.map((c) => 'old.' + c).join(', ')}); END`,
    );
  }
  return out;
}

/** Drops every FTS5 table (a `--rebuild`); their triggers go with the entity tables. */
export function dropFulltext(db: Db): void {
  const rows = db
    .prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'fts\\_%' ESCAPE '\\' AND sql LIKE 'CREATE VIRTUAL TABLE%'`)
    .all();
  for (const r of rows) db.exec(`DROP TABLE IF EXISTS ${quoteIdent(r.name)}`);
}

// ---- graph-node's query syntax (Postgres to_tsquery) → FTS5 ----

type Node =
  | { k: 'term'; text: string; prefix: boolean }
  | { k: 'empty' }
  | { k: 'not'; e: Node }
  | { k: 'and' | 'or'; items: Node[] }
  | { k: 'phrase'; items: Node[] };

export class FulltextQueryError extends Error {
  override name = 'FulltextQueryError';
  /** true: to_tsquery would refuse it too (graph-node's syntax error); false: FTS5 cannot run it */
  readonly syntax: boolean;
  constructor(message: string, syntax: boolean) {
    super(message);
    this.syntax = syntax;
  }
}

function tokens(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  const syntax = () => new FulltextQueryError(`syntax error in tsquery: "${text}"`, true);
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if ('&|!()'.includes(c)) {
      out.push(c);
      i++;
    } else if (c === '<') {
      const m = /^<(-|\d+)>/.exec(text.slice(i));
      if (!m) throw syntax();
      out.push(m[0]);
      i += m[0].length;
    } else {
      let word = '';
      if (c === "'") {
        // a quoted operand: its words form a phrase; '' or \' stands for a quote
        i++;
        let closed = false;
        while (i < text.length) {
          const d = text[i]!;
          if (d === '\\' && i + 1 < text.length) {
            word += text[i + 1];
            i += 2;
          } else if (d === "'" && text[i + 1] === "'") {
            word += "'";
            i += 2;
          } else if (d === "'") {
            i++;
            closed = true;
            break;
          } else {
            word += d;
            i++;
          }
        }
        if (!closed) throw syntax();
      } else {
        while (i < text.length && !/[\s&|!()<':]/.test(text[i]!)) word += text[i++];
      }
      let suffix = '';
      if (text[i] === ':') {
        const m = /^:[*a-dA-D]*/.exec(text.slice(i))!;
        suffix = m[0];
        i += m[0].length;
      }
      out.push('w' + word + '\u0000' + suffix);
    }
  }
  return out;
}

function parse(text: string): Node {
  const toks = tokens(text);
  let p = 0;
  const syntax = () => new FulltextQueryError(`syntax error in tsquery: "${text}"`, true);
  const or = (): Node => {
    const items = [and()];
    while (toks[p] === '|') {
      p++;
      items.push(and());
    }
    return items.length === 1 ? items[0]! : { k: 'or', items };
  };
  const and = (): Node => {
    const items = [phrase()];
    while (toks[p] === '&') {
      p++;
      items.push(phrase());
    }
    return items.length === 1 ? items[0]! : { k: 'and', items };
  };
  const phrase = (): Node => {
    const items = [unary()];
    while (toks[p]?.startsWith('<')) {
      const op = toks[p++]!;
      if (op !== '<->' && op !== '<1>') {
        throw new FulltextQueryError(`the distance operator ${op} has no SQLite FTS5 equivalent (only <-> for adjacent words)`, false);
      }
      items.push(unary());
    }
    return items.length === 1 ? items[0]! : { k: 'phrase', items };
  };
  const unary = (): Node => {
    const t = toks[p++];
    if (t === undefined) throw syntax();
    if (t === '!') return { k: 'not', e: unary() };
    if (t === '(') {
      const e = or();
      if (toks[p++] !== ')') throw syntax();
      return e;
    }
    if (!t.startsWith('w')) throw syntax();
    const [word, suffix] = t.slice(1).split('\u0000') as [string, string];
    if (/[a-dA-D]/.test(suffix)) {
      throw new FulltextQueryError(`weights (${suffix}) are not supported: graph-node's documents carry no weights`, false);
    }
    // Postgres drops operands without lexemes (punctuation only)
    if (!/[\p{L}\p{N}]/u.test(word)) return { k: 'empty' };
    return { k: 'term', text: word, prefix: suffix.includes('*') };
  };
  const node = or();
  if (p < toks.length) throw syntax();
  return node;
}

function fts(node: Node, source: string): string | null {
  switch (node.k) {
    case 'empty':
      return null;
    case 'term':
      return `"${node.text.replace(/"/g, '""')}"${node.prefix ? ' *' : ''}`;
    case 'phrase': {
      const parts: string[] = [];
      node.items.forEach((item, i) => {
        if (item.k === 'empty') return;
        if (item.k !== 'term' || (item.prefix && i < node.items.length - 1)) {
          throw new FulltextQueryError(`<-> joins single words here (SQLite FTS5 phrases), not \`${source}\``, false);
        }
        parts.push(fts(item, source)!);
      });
      return parts.length === 0 ? null : parts.join(' + ');
    }
    case 'not':
      throw new FulltextQueryError('`!` must follow a positive term (`a & !b`): SQLite FTS5 cannot search for what a document lacks on its own', false);
    case 'or': {
      const parts = node.items.map((i) => fts(i, source)).filter((x): x is string => x !== null);
      return parts.length === 0 ? null : parts.map((x) => `(${x})`).join(' OR ');
    }
    case 'and': {
      const pos = node.items.filter((i) => i.k !== 'not').map((i) => fts(i, source)).filter((x): x is string => x !== null);
      const neg = node.items.flatMap((i) => (i.k === 'not' ? [fts(i.e, source)] : [])).filter((x): x is string => x !== null);
      if (pos.length === 0) return fts({ k: 'not', e: { k: 'empty' } }, source);
      let out = pos.map((x) => `(${x})`).join(' AND ');
      for (const n of neg) out = `(${out}) NOT (${n})`;
      return out;
    }
  }
}

/**
 * graph-node's fulltext query text (Postgres `to_tsquery` syntax: `&`, `|`, `!`, `<->`, `:*`,
 * parentheses, 'quoted phrases') as an FTS5 MATCH expression; null when it has no words (matches
 * nothing, as an empty tsquery).
 */
export function toFts5Query(text: string): string | null {
  // Postgres: an empty query has no lexemes, matches nothing and is no error
  if (text.trim() === '') return null;
  return fts(parse(text), text);
}

/**
 * SQL counting the query's matched word instances in a matched row (FTS5's `highlight` marks
 * each): the order key standing for `ts_rank`/`ts_rank_cd`, which for the same document grow with
 * exactly these matches.
 */
export function hitsSql(def: FulltextDef): string {
  const table = fulltextTable(def);
  return def.fields
    .map((_, i) => {
      const h = `coalesce(highlight(${table}, ${i}, char(1), ''), '')`;
      return `(length(${h}) - length(replace(${h}, char(1), '')))`;
    })
    .join(' + ');
}

/**
 * The match side of a fulltext query over the entity table aliased `alias`: a JOIN whose one `?`
 * is the FTS5 MATCH expression (`toFts5Query`), and the order graph-node gives its results
 * (`ts_rank` in its default direction, ascending, then id ascending: the field has no orderBy).
 */
export function fulltextMatch(def: FulltextDef, alias: string): { join: string; order: string } {
  const fts = fulltextTable(def);
  return {
    join: `JOIN (SELECT rowid AS v, ${hitsSql(def)} AS hits FROM ${fts} WHERE ${fts} MATCH ?) m ON m.v = ${alias}.__vid`,
    order: `m.hits, ${alias}.id`,
  };
}
