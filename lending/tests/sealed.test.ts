import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { SealedBoxError, disclosurePublicKey, generateDisclosureKeys, open, seal } from '../src/quote/sealed.ts';
import { disclosureContext, parseSealedBox } from '../src/quote/documents.ts';

const ctx = disclosureContext(7);
const message = new TextEncoder().encode(JSON.stringify({ version: 1, kind: 'hessian/loan-disclosure', quoteId: 7, logit: -1.25, tag: 1234.5 }));

function refuses(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: Error) => {
    assert.ok(e instanceof SealedBoxError, `not a SealedBoxError: ${e}`);
    assert.match(e.message, re);
    return true;
  });
}

test('sealed box: round trip through JSON, fresh ephemeral key and nonce each time', () => {
  const keys = generateDisclosureKeys();
  assert.equal(Buffer.from(keys.publicKey, 'base64url').length, 32);
  assert.equal(disclosurePublicKey(keys.privateKey), keys.publicKey);
  const box = seal(keys.publicKey, message, ctx);
  const parsed = parseSealedBox(JSON.parse(JSON.stringify(box)));
  assert.deepEqual(open(keys.privateKey, parsed, ctx), message);
  assert.ok(!JSON.stringify(box).includes(Buffer.from(message).toString('base64url').slice(0, 12)));
  const again = seal(keys.publicKey, message, ctx);
  assert.notEqual(again.epk, box.epk);
  assert.notEqual(again.ciphertext, box.ciphertext);
  assert.ok(!inspect(box).includes(keys.privateKey));
});

test('sealed box: wrong key, wrong context, tampering and malformed fields are refused by name', () => {
  const keys = generateDisclosureKeys();
  const other = generateDisclosureKeys();
  const box = seal(keys.publicKey, message, ctx);
  refuses(() => open(other.privateKey, box, ctx), /sealed to another key \(wrong key\)/);
  // an attacker relabelling the box for the other key still fails: the key agreement differs
  refuses(() => open(other.privateKey, { ...box, recipient: other.publicKey }, ctx), /failed authentication/);
  refuses(() => open(keys.privateKey, box, disclosureContext(8)), /sealed for context "hessian\/loan-disclosure\/v1\/quote\/7", expected ".*quote\/8" \(wrong context\)/);
  // relabelling the context field does not help either: it is the associated data
  refuses(() => open(keys.privateKey, { ...box, context: disclosureContext(8) }, disclosureContext(8)), /failed authentication/);
  const body = Buffer.from(box.ciphertext, 'base64url');
  body[3] ^= 1;
  refuses(() => open(keys.privateKey, { ...box, ciphertext: body.toString('base64url') }, ctx), /failed authentication/);
  const tagFlipped = Buffer.from(box.ciphertext, 'base64url');
  tagFlipped[tagFlipped.length - 1] ^= 0x80;
  refuses(() => open(keys.privateKey, { ...box, ciphertext: tagFlipped.toString('base64url') }, ctx), /failed authentication/);
  refuses(() => open(keys.privateKey, { ...box, epk: other.publicKey }, ctx), /failed authentication/);
  refuses(() => open(keys.privateKey, { ...box, ciphertext: 'AAAA' }, ctx), /shorter than the 16-byte tag/);
  refuses(() => open(keys.privateKey, { ...box, nonce: 'AAAA' }, ctx), /nonce: 3 bytes, expected 12/);
  refuses(() => open(keys.privateKey, { ...box, epk: 'not base64!' }, ctx), /epk: not base64url/);
  refuses(() => open(keys.privateKey, { ...box, epk: Buffer.alloc(32).toString('base64url') }, ctx), /all-zero secret|key agreement failed/);
  refuses(() => open('AAAA', box, ctx), /not a PKCS#8 key/);
  refuses(() => seal('AAAA', message, ctx), /recipient public key: .*expected 32/);
  refuses(() => seal(keys.publicKey, message, ''), /context must be a non-empty string/);
  assert.throws(() => parseSealedBox({ ...box, extra: 1 }), /Unrecognized key/);
  assert.throws(() => parseSealedBox({ ...box, kind: 'hessian/other' }), /kind/);
  assert.throws(() => parseSealedBox({ ...box, nonce: 'AAAA' }), /nonce: must be 12 bytes/);
});
