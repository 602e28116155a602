import { describe, expect, it } from 'vitest';
import { gql } from '@apollo/client';
import { print, stripIgnoredCharacters, type DocumentNode } from 'graphql';
import { fetchAllPages, nextPageDocument, pagedDocument, type RunQuery } from '../../src/lib/paging.ts';

const MODEL = gql`
  query Model($id: ID!, $block: Block_height) {
    _meta(block: $block) { block { number } }
    model(id: $id, block: $block, subgraphError: allow) {
      id
      evaluations(first: 2, orderBy: ordinal, orderDirection: asc) @paged { id score }
      deposits(first: 2, where: { isInitial: false }, orderBy: blockNumber, orderDirection: desc) @paged { id amount }
      contributors(first: 1000) { id }
    }
    tokens(first: 2) @paged { id }
  }
`;

// the printer wraps long argument lists: compare the compact form
const oneLine = (doc: DocumentNode) => stripIgnoredCharacters(print(doc));

describe('pagedDocument', () => {
  it('sends no @paged and selects id and the ordering field of every paged list', () => {
    const p = pagedDocument(MODEL);
    const sent = oneLine(p.document);
    expect(sent).not.toContain('@paged');
    expect(sent).toContain('evaluations(first:2 orderBy:ordinal orderDirection:asc){id score ordinal}');
    expect(sent).toContain('deposits(first:2 where:{isInitial:false}orderBy:blockNumber orderDirection:desc){id amount blockNumber}');
    expect(sent).toContain('contributors(first:1000){id}');
    expect(p.collections.map((c) => c.keys.join('.'))).toEqual(['model.evaluations', 'model.deposits', 'tokens']);
    expect(pagedDocument(MODEL)).toBe(p);
  });

  it('refuses a paged query that cannot pin its later pages to one block, or a variable filter', () => {
    expect(() => pagedDocument(gql`query A { tokens(first: 5) @paged { id } }`)).toThrow(/_meta \{ block \{ number \} \}/);
    expect(() => pagedDocument(gql`query A($w: Token_filter) { _meta { block { number } } tokens(first: 5, where: $w) @paged { id } }`)).toThrow(/where/);
    expect(() => pagedDocument(gql`query A { _meta { block { number } } tokens @paged { id } }`)).toThrow(/first/);
  });
});

describe('nextPageDocument', () => {
  const p = pagedDocument(MODEL);
  const [evaluations, deposits, tokens] = p.collections;

  it('keysets an ordered list on its field then id, pinned to the first page block, only the path to the list', () => {
    const doc = oneLine(nextPageDocument(p, evaluations!, { id: 'e2', ordinal: 2 }, 41));
    expect(doc).toBe(
      'query ModelPage($id:ID!){model(id:$id subgraphError:allow block:{number:41}){' +
        'evaluations(first:2 orderBy:ordinal orderDirection:asc where:{or:[{ordinal_gt:2}{ordinal:2 id_gt:"e2"}]}){id score ordinal}}}',
    );
  });

  it('keeps the original filter beside the cursor, and walks backwards for a descending list', () => {
    const doc = oneLine(nextPageDocument(p, deposits!, { id: 'd9', blockNumber: '120' }, 41));
    expect(doc).toContain('where:{and:[{isInitial:false}{or:[{blockNumber_lt:"120"}{blockNumber:"120" id_lt:"d9"}]}]}');
  });

  it('pages a list in id order with id_gt, adding the block to a root field that had none', () => {
    expect(oneLine(nextPageDocument(p, tokens!, { id: '0xab' }, 7))).toBe('query ModelPage{tokens(first:2 where:{id_gt:"0xab"}block:{number:7}){id}}');
  });

  it('names a missing cursor value instead of sending a wrong page', () => {
    expect(() => nextPageDocument(p, evaluations!, { id: 'e2', ordinal: null }, 41)).toThrow(/ordinal is null/);
  });
});

describe('fetchAllPages', () => {
  // a fake endpoint: 5 evaluations, 3 tokens, 1 deposit; answers each later page from its cursor
  const evaluations = [1, 2, 3, 4, 5].map((n) => ({ id: `e${n}`, score: String(n), ordinal: n }));
  const tokens = ['0x01', '0x02', '0x03'].map((id) => ({ id }));
  const deposits = [{ id: 'd1', amount: '5', blockNumber: '3' }];
  const sent: string[] = [];
  const run: RunQuery = async <T,>(doc: DocumentNode, variables: Record<string, unknown>) => {
    const text = oneLine(doc);
    sent.push(text);
    expect(variables).toEqual({ id: '1' });
    if (!text.startsWith('query ModelPage')) {
      return { data: { _meta: { block: { number: 41 } }, model: { id: '1', evaluations: evaluations.slice(0, 2), deposits, contributors: [] }, tokens: tokens.slice(0, 2) } as T, indexingError: false };
    }
    expect(text).toContain('block:{number:41}');
    const ordinal = /ordinal_gt:(\d+)/.exec(text);
    if (ordinal) {
      const after = Number(ordinal[1]);
      return { data: { model: { evaluations: evaluations.filter((e) => e.ordinal > after).slice(0, 2) } } as T, indexingError: after === 4 };
    }
    const id = /id_gt:"(\w+)"/.exec(text)![1]!;
    return { data: { tokens: tokens.filter((t) => t.id > id).slice(0, 2) } as T, indexingError: false };
  };

  it('follows every full page to the end and returns the whole lists in order', async () => {
    sent.length = 0;
    const { data, indexingError } = await fetchAllPages<{ model: { evaluations: unknown[]; deposits: unknown[] }; tokens: unknown[] }>(run, MODEL, { id: '1' });
    expect(data.model.evaluations).toEqual(evaluations);
    expect(data.tokens).toEqual(tokens);
    expect(data.model.deposits).toEqual(deposits);
    // first page, evaluations after 2 and after 4, tokens after 0x02: a short page ends a list
    expect(sent).toHaveLength(4);
    expect(indexingError, 'a later page read from a failed subgraph is flagged').toBe(true);
  });

  it('stops with an error when the endpoint ignores the cursor', async () => {
    const stuck: RunQuery = async <T,>(doc: DocumentNode) =>
      ({ data: { _meta: { block: { number: 1 } }, tokens: tokens.slice(0, 2) } as T, indexingError: false });
    const doc = gql`query T { _meta { block { number } } tokens(first: 2) @paged { id } }`;
    await expect(fetchAllPages(stuck, doc, {})).rejects.toThrow(/ignored the cursor/);
  });
});
