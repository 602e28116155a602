// Ordering as SQL: the store's half of graph-node's EntityOrder. `parent__child` keys order by a
// column of the referenced (or deriving) entity valid at the same block.
import type { Column, Table } from './layout.ts';
import { blockCondition, idAsJsonItem, QueryInputError, type BlockRef } from './query-filter.ts';

/** One ordering key: an attribute, or `parent__child` for a child's attribute. */
export interface OrderKey {
  attribute: string;
  desc: boolean;
}

/**
 * `default`: by id ascending (graph-node's EntityOrder::Default); `by`: one key, then id in the
 * same direction; `keys`: several keys in turn, then id ascending unless a key is the id.
 */
export type EntityOrder = { kind: 'default' } | ({ kind: 'by' } & OrderKey) | { kind: 'keys'; keys: OrderKey[] };

/**
 * graph-node orders only by fields whose type is a built-in scalar (`ValueType::from_str` of the
 * field's named type): lists, enums and entity references are refused although `X_orderBy`
 * lists them.
 */
function orderable(c: Column): boolean {
  return !c.list && c.ref === undefined && c.field.type.kind === 'scalar';
}

/** One ordering key as SQL (`expr DIR NULLS ...`), graph-node's rules for what can be ordered by. */
function orderKey(source: (name: string) => Table, t: Table, alias: string, orderBy: string, desc: boolean, block: BlockRef, n: number): string {
  const dir = desc ? ' DESC' : '';
  const nulls = desc ? ' NULLS FIRST' : ' NULLS LAST';
  if (orderBy === 'id') return `${alias}.id${dir}`;
  const sep = orderBy.indexOf('__');
  if (sep > 0) {
    const parentName = orderBy.slice(0, sep);
    const childName = orderBy.slice(sep + 2);
    const f = t.entity.fieldMap.get(parentName);
    if (!f) throw new QueryInputError(`Entity \`${t.entity.name}\` has no attribute \`${parentName}\``);
    const child = source(f.type.name);
    const cc = child.columnMap.get(childName);
    if (!child.entity.fieldMap.has(childName)) throw new QueryInputError(`Entity \`${child.entity.name}\` has no attribute \`${childName}\``);
    if (!cc || !orderable(cc)) throw new QueryInputError(`Ordering by \`${childName}\` is not supported for type \`${child.entity.name}\``);
    const x = `o${n || ''}_${alias}`;
    let expr: string;
    if (f.derivedFrom) {
      const back = child.columnMap.get(f.derivedFrom)!;
      expr = back.list
        ? `(SELECT ${x}.${cc.sql} FROM ${child.sql} ${x}, json_each(${x}.${back.sql}) e WHERE e.value = ${idAsJsonItem(`${alias}.id`, t.idKind)} AND ${blockCondition(x, block)} ORDER BY ${x}.id LIMIT 1)`
        : `(SELECT ${x}.${cc.sql} FROM ${child.sql} ${x} WHERE ${x}.${back.sql} = ${alias}.id AND ${blockCondition(x, block)} ORDER BY ${x}.id LIMIT 1)`;
    } else {
      const c = t.columnMap.get(parentName)!;
      expr = `(SELECT ${x}.${cc.sql} FROM ${child.sql} ${x} WHERE ${x}.id = ${alias}.${c.sql} AND ${blockCondition(x, block)})`;
    }
    return `${expr}${dir}${nulls}`;
  }
  const c = t.columnMap.get(orderBy);
  if (!t.entity.fieldMap.has(orderBy)) throw new QueryInputError(`Entity \`${t.entity.name}\` has no attribute \`${orderBy}\``);
  if (!c || !orderable(c)) throw new QueryInputError(`Ordering by \`${orderBy}\` is not supported for type \`${t.entity.name}\``);
  return `${alias}.${c.sql}${dir}${nulls}`;
}

/** The ORDER BY list of `order` on table `t` aliased `alias`, child keys read at `block`. */
export function orderSql(source: (name: string) => Table, t: Table, alias: string, order: EntityOrder, block: BlockRef): string {
  switch (order.kind) {
    case 'default':
      return `${alias}.id`;
    case 'keys': {
      const parts = order.keys.map((k, i) => orderKey(source, t, alias, k.attribute, k.desc, block, i + 1));
      if (!order.keys.some((k) => k.attribute === 'id')) parts.push(`${alias}.id`);
      return parts.join(', ');
    }
    case 'by': {
      const key = orderKey(source, t, alias, order.attribute, order.desc, block, 0);
      return order.attribute === 'id' ? key : `${key}, ${alias}.id${order.desc ? ' DESC' : ''}`;
    }
  }
}
