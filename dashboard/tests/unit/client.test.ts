import { describe, expect, it } from 'vitest';
import { keepUnchanged } from '../../src/lib/client.ts';

describe('keepUnchanged', () => {
  const before = { _meta: { block: { number: 7 } }, model: { id: '1', gradients: [{ id: '1-1' }] }, tokens: [{ id: 'a' }] };

  it('keeps the identity of the fields a refetch did not change, takes the changed ones', () => {
    const after = { _meta: { block: { number: 8 } }, model: { id: '1', gradients: [{ id: '1-1' }] }, tokens: [{ id: 'b' }] };
    const out = keepUnchanged(before, after);
    expect(out).toEqual(after);
    expect(out.model).toBe(before.model);
    expect(out.tokens).toBe(after.tokens);
    expect(out._meta).toBe(after._meta);
  });

  it('returns the previous answer itself when nothing changed', () => {
    expect(keepUnchanged(before, structuredClone(before))).toBe(before);
  });

  it('takes a field that appeared or disappeared, and the new answer when there is no previous one', () => {
    const grown = { ...structuredClone(before), extra: 1 };
    expect(keepUnchanged(before, grown)).toEqual(grown);
    const shrunk: Record<string, unknown> = structuredClone(before);
    delete shrunk.tokens;
    expect(keepUnchanged<Record<string, unknown>>(before, shrunk)).toEqual(shrunk);
    expect(keepUnchanged(undefined, before)).toBe(before);
    expect(keepUnchanged<{ model: unknown }>({ model: { id: '1' } }, { model: null }).model).toBeNull();
  });

  it('keeps unchanged rows and nested objects of a changed list, matching rows by id', () => {
    const models = [
      { id: '2', bounty: '5', token: { id: 't' } },
      { id: '1', bounty: '7', token: { id: 't' } },
    ];
    const prev = { _meta: { block: { number: 1 } }, models };
    // model 3 created (in front), model 1 topped up, model 2 untouched
    const next = structuredClone({ _meta: { block: { number: 2 } }, models: [{ id: '3', bounty: '1', token: { id: 't' } }, models[0]!, { ...models[1]!, bounty: '9' }] });
    const out = keepUnchanged(prev, next);
    expect(out).toEqual(next);
    expect(out.models).not.toBe(prev.models);
    expect(out.models[1]).toBe(models[0]);
    expect(out.models[2]).not.toBe(models[1]);
    expect(out.models[2]!.token).toBe(models[1]!.token);
    expect(out.models[0]).toBe(next.models[0]);
  });

  it('keeps a list whose rows are equal, and matches rows without ids by position', () => {
    const prev = { days: [{ date: 1, n: 2 }, { date: 2, n: 3 }], ids: ['a', 'b'] };
    const next = structuredClone(prev);
    next.days[1]!.n = 4;
    const out = keepUnchanged(prev, next);
    expect(out).toEqual(next);
    expect(out.days[0]).toBe(prev.days[0]);
    expect(out.days[1]).toBe(next.days[1]);
    expect(out.ids).toBe(prev.ids);
    // a shorter or longer list is a new list, even when its rows are kept
    const shorter = keepUnchanged(prev, { ...structuredClone(prev), days: [structuredClone(prev.days[0]!)] });
    expect(shorter.days).toEqual([prev.days[0]]);
    expect(shorter.days).not.toBe(prev.days);
    expect(shorter.days[0]).toBe(prev.days[0]);
  });

  it('keeps rows that moved (a new sort order), and tells a renamed field from an unchanged one', () => {
    const prev = { rows: [{ id: 'a', v: 1 }, { id: 'b', v: 2 }, { id: 'c', v: 3 }] };
    const next = { rows: structuredClone([prev.rows[2]!, prev.rows[0]!, prev.rows[1]!]) };
    const out = keepUnchanged(prev, next);
    expect(out).toEqual(next);
    expect(out.rows).not.toBe(prev.rows);
    expect(out.rows.map((r) => prev.rows.indexOf(r))).toEqual([2, 0, 1]);
    // as many keys, other names: not the previous object
    const renamed = keepUnchanged<Record<string, unknown>>({ x: { a: 1 } }, { x: { b: 1 } });
    expect(renamed).toEqual({ x: { b: 1 } });
  });

  it('takes a row whose id is new or whose shape changed, and null for an object that went away', () => {
    const prev = { a: { id: 'x', v: { k: 1 } }, list: [{ id: 'x', v: 1 }] };
    const out = keepUnchanged<{ a: unknown; list: unknown[] }>(prev, { a: null, list: [{ id: 'y', v: 1 }] });
    expect(out).toEqual({ a: null, list: [{ id: 'y', v: 1 }] });
    expect(keepUnchanged<unknown>({ v: [1] }, { v: { 0: 1 } })).toEqual({ v: { 0: 1 } });
  });
});
