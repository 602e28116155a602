// graph-node's own query-test fixture (store/test-store/tests/graphql/query.rs: musicians, bands,
// songs, reviews), without its interfaces, plus a `Thing` with one field of every scalar kind.
// Blocks: 0 = the first batch, 1 = three more musicians, 2 = no changes (as graph-node's test).
import { openDatabase } from '../../src/db.ts';
import { parseSchema } from '../../src/schema.ts';
import { EntityStore } from '../../src/store/entity-store.ts';
import type { EntityChange, Value } from '../../src/types.ts';
import { big, bool, bytes, dec, int, int8, list, ptr, str, ts } from '../store/fixtures.ts';

export const MUSIC_SCHEMA = `
type _Schema_
  @fulltext(name: "bandReviewSearch", language: en, algorithm: proximityRank, include: [{ entity: "BandReview", fields: [{ name: "body" }] }])

enum Color { Red Green Blue }

type Musician @entity {
  id: ID!
  name: String!
  mainBand: Band
  bands: [Band!]!
  writtenSongs: [Song!]! @derivedFrom(field: "writtenBy")
  favoriteCount: Int8!
  birthDate: Timestamp!
}

type Band @entity {
  id: ID!
  name: String!
  members: [Musician!]! @derivedFrom(field: "bands")
  reviews: [BandReview!]! @derivedFrom(field: "band")
  originalSongs: [Song!]!
}

type Song @entity {
  id: ID!
  sid: String!
  title: String!
  writtenBy: Musician!
  publisher: Publisher!
  band: Band @derivedFrom(field: "originalSongs")
  reviews: [SongReview!]! @derivedFrom(field: "song")
  stats: [SongStat!]! @derivedFrom(field: "id")
}

type SongStat @entity {
  id: ID!
  song: Song @derivedFrom(field: "id")
  played: Int!
}

type Publisher @entity {
  id: Bytes!
}

type SongReview @entity {
  id: ID!
  body: String!
  song: Song
  author: User!
}

type BandReview @entity {
  id: ID!
  body: String!
  band: Band
  author: User!
}

type User @entity {
  id: ID!
  name: String!
  bandReviews: [BandReview!]! @derivedFrom(field: "author")
  songReviews: [SongReview!]! @derivedFrom(field: "author")
}

type Thing @entity {
  id: ID!
  str: String
  int: Int
  int8: Int8
  big: BigInt
  dec: BigDecimal
  bytes: Bytes
  bool: Boolean
  ts: Timestamp
  color: Color
  strs: [String!]
  bigs: [BigInt!]
  owner: Publisher
}

type Tx @entity(immutable: true) {
  id: Bytes!
  thing: Thing!
  amount: BigInt!
}
`;

export const PUB1 = '0xb1';
const BIRTH = 1710837304040956n;

function e(entityType: string, id: string, data: Record<string, Value>): EntityChange {
  const idValue = entityType === 'Publisher' || entityType === 'Tx' ? bytes(id) : str(id);
  return { entityType, id, data: { id: idValue, ...data } };
}

function musician(id: string, name: string, mainBand: string | null, bands: string[], favoriteCount: number): EntityChange {
  return e('Musician', id, {
    name: str(name),
    ...(mainBand ? { mainBand: str(mainBand) } : {}),
    bands: list(...bands.map(str)),
    favoriteCount: int8(favoriteCount),
    birthDate: ts(BIRTH),
  });
}

export const BLOCK0: EntityChange[] = [
  musician('m1', 'John', 'b1', ['b1', 'b2'], 10),
  musician('m2', 'Lisa', 'b1', ['b1'], 100),
  e('Publisher', PUB1, {}),
  e('Band', 'b1', { name: str('The Musicians'), originalSongs: list(str('s1'), str('s2')) }),
  e('Band', 'b2', { name: str('The Amateurs'), originalSongs: list(str('s1'), str('s3'), str('s4')) }),
  e('Song', 's1', { sid: str('s1'), title: str('Cheesy Tune'), publisher: bytes(PUB1), writtenBy: str('m1') }),
  e('Song', 's2', { sid: str('s2'), title: str('Rock Tune'), publisher: bytes(PUB1), writtenBy: str('m2') }),
  e('Song', 's3', { sid: str('s3'), title: str('Pop Tune'), publisher: bytes(PUB1), writtenBy: str('m1') }),
  e('Song', 's4', { sid: str('s4'), title: str('Folk Tune'), publisher: bytes(PUB1), writtenBy: str('m3') }),
  e('SongStat', 's1', { played: int(10) }),
  e('SongStat', 's2', { played: int(15) }),
  e('BandReview', 'r1', { body: str('Bad musicians'), band: str('b1'), author: str('u1') }),
  e('BandReview', 'r2', { body: str('Good amateurs'), band: str('b2'), author: str('u2') }),
  e('BandReview', 'r5', { body: str('Very Bad musicians'), band: str('b1'), author: str('u3') }),
  e('SongReview', 'r3', { body: str('Bad'), song: str('s2'), author: str('u1') }),
  e('SongReview', 'r4', { body: str('Good'), song: str('s3'), author: str('u2') }),
  e('SongReview', 'r6', { body: str('Very Bad'), song: str('s2'), author: str('u3') }),
  e('User', 'u1', { name: str('Baden') }),
  e('User', 'u2', { name: str('Goodwill') }),
  e('User', 'u3', { name: str('Anonymous 3') }),
  e('Thing', 't1', {
    str: str('Hello World'),
    int: int(-5),
    int8: int8(9007199254740993n),
    big: big(-(10n ** 30n)),
    dec: dec('1.5'),
    bytes: bytes('0xdeadbeef'),
    bool: bool(true),
    ts: ts(1_000_000n),
    color: str('Red'),
    strs: list(str('alpha'), str('Beta')),
    bigs: list(big(1), big(2)),
    owner: bytes(PUB1),
  }),
  e('Thing', 't2', {
    str: str('hello_there 100%'),
    int: int(7),
    int8: int8(-1),
    big: big(12345678901234567890n),
    dec: dec('-0.25'),
    bytes: bytes('0x00ff'),
    bool: bool(false),
    ts: ts(2_000_000n),
    color: str('Green'),
    strs: list(str('beta')),
    bigs: list(big(3)),
  }),
  e('Thing', 't3', { int: int(0) }),
];

export const BLOCK1: EntityChange[] = [
  musician('m3', 'Tom', 'b2', ['b1', 'b2'], 5),
  musician('m4', 'Valerie', null, [], 20),
  musician('m5', 'Paul', 'b2', ['b2'], 2),
];

/** A store holding graph-node's fixture at blocks 0, 1 and 2 (head 2). */
export function musicStore(): EntityStore {
  const store = new EntityStore(openDatabase(':memory:'), parseSchema(MUSIC_SCHEMA));
  store.applyBlock(ptr(0), BLOCK0);
  store.applyBlock(ptr(1), BLOCK1);
  store.advanceCursor(ptr(2));
  return store;
}

export { ptr };
