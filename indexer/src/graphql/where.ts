// The `X_filter` input of graph-node's API as a filter tree for the store (graph-node's
// graphql/src/store/query.rs building its EntityFilter): which key names which field with which
// operator comes from the generated schema; the store turns the tree into SQL.
import type { FieldDef } from '../schema.ts';
import type { Table } from '../store/layout.ts';
import { show, type EntityFilter, type FilterOp } from '../store/query-filter.ts';
import { QueryError } from './errors.ts';

export interface FilterKey {
  field: FieldDef;
  op: FilterOp;
}

export interface WhereContext {
  /** key → field/op, per entity type (from the generated schema) */
  keys: Map<string, Map<string, FilterKey>>;
  /** an entity's table, or an interface's union of them */
  source(name: string): Table;
}

const MAX_FILTER_DEPTH = 50;

/** One `where` object on entity table `t` as a filter tree. */
export function entityFilter(ctx: WhereContext, t: Table, where: Record<string, unknown>, nested = false, depth = 0): EntityFilter {
  const keys = ctx.keys.get(t.entity.name)!;
  if ('or' in where && where.or !== undefined) {
    const columnFilters = Object.keys(where)
      .filter((k) => k !== 'or' && k !== 'and' && k !== '_change_block')
      .map((k) => `'${k}'`);
    if (columnFilters.length > 0) {
      const list = columnFilters.join(', ');
      throw new QueryError(
        `Cannot mix column filters with 'or' operator at the same level. Found column filter(s) ${list} alongside 'or' operator.\n\n` +
          `Instead of:\nwhere: { ${list}, or: [...] }\n\nUse:\nwhere: { or: [{ ${list}, ... }, { ${list}, ... }] }`,
      );
    }
  }
  if (depth > MAX_FILTER_DEPTH) throw new QueryError(`filter is nested more than ${MAX_FILTER_DEPTH} levels deep (and/or)`);
  const filters: EntityFilter[] = [];
  for (const [key, value] of Object.entries(where)) {
    if (value === undefined) continue;
    if (key === 'and' || key === 'or') {
      if (value === null) continue;
      if (!Array.isArray(value)) throw new QueryError(`Non-list value passed to \`${key}\` filter`);
      const items = value.map((item: unknown) => {
        if (item === null || typeof item !== 'object') throw new QueryError('Filter must by an object');
        return entityFilter(ctx, t, item as Record<string, unknown>, nested, depth + 1);
      });
      filters.push({ kind: key, filters: items });
      continue;
    }
    if (key === '_change_block') {
      const n = (value as { number_gte?: number } | null)?.number_gte;
      if (typeof n !== 'number') throw new QueryError('Filter must by an object');
      filters.push({ kind: 'changeBlock', numberGte: n });
      continue;
    }
    const fk = keys.get(key);
    if (!fk) throw new QueryError(`Type \`${t.entity.name}_filter\` has no field \`${key}\``);
    // an interface's own field definitions do not say which fields its implementers derive
    const field = t.entity.fieldMap.get(fk.field.name) ?? fk.field;
    if (fk.op === 'child') {
      if (nested) throw new QueryError(`Child filter nesting not supported by value \`${field.name}\`: \`${key}\``);
      if (value === null || typeof value !== 'object') throw new QueryError(`Query contains value with invalid type \`${field.name}\`: \`${show(value)}\``);
      filters.push({ kind: 'child', key, field, filter: entityFilter(ctx, ctx.source(field.type.name), value as Record<string, unknown>, true) });
      continue;
    }
    filters.push({ kind: 'attr', key, field, op: fk.op, value });
  }
  return { kind: 'all', filters };
}
