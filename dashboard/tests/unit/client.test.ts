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
});
