import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import { featureCount, featureNames, type EncodingSpec } from '@hessian/core/data';
import { MetadataError } from '@hessian/core/model';
import { QUERY_PARAMETERS, queryLayout } from '../src/quote/prediction.ts';
import { DEFAULT_PRICING } from '../src/quote/pricing.ts';
import { generateDisclosureKeys, seal } from '../src/quote/sealed.ts';
import {
  disclosureContext, parseDisclosure, parseQueryDocument, parseResultDocument, parseSealedBox, parseServiceDocument,
} from '../src/quote/documents.ts';

async function cidOf(text: string): Promise<string> {
  return CID.create(1, 0x55, await sha256.digest(new TextEncoder().encode(text))).toString();
}

const encoding: EncodingSpec = {
  label: { column: 'not.fully.paid', kind: 'binary', positive: '1', negative: '0' },
  features: [
    { column: 'fico', kind: 'numeric', mean: 710, std: 38 },
    { column: 'purpose', kind: 'categorical', categories: ['credit_card', 'debt_consolidation', 'other'] },
  ],
  intercept: true,
};

function serviceDoc(): Record<string, unknown> {
  const layout = queryLayout(featureCount(encoding));
  return {
    version: 1,
    kind: 'hessian/loan-service',
    name: 'credit model v3',
    modelId: 1,
    modelVersion: 3,
    metric: 'auc',
    score: 654321,
    task: 'logistic',
    encoding,
    featureNames: featureNames(encoding),
    query: { ckks: QUERY_PARAMETERS, blockSize: layout.blockSize, galoisSteps: layout.galoisSteps },
    logitRange: [-6, 2],
    pricing: DEFAULT_PRICING,
    disclosureKey: generateDisclosureKeys().publicKey,
    tagTolerance: 1e-4,
    createdAt: new Date().toISOString(),
  };
}

function refuses(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: Error) => {
    assert.ok(e instanceof MetadataError, `not a MetadataError: ${e}`);
    assert.match(e.message, re);
    return true;
  });
}

test('service document: valid one parses; unknown fields, wrong kind and inconsistent values are named', () => {
  const good = serviceDoc();
  assert.deepEqual(parseServiceDocument(JSON.parse(JSON.stringify(good))), good);
  refuses(() => parseServiceDocument({ ...good, extra: true }), /Unrecognized key.*extra/);
  refuses(() => parseServiceDocument({ ...good, kind: 'hessian/model-metadata' }), /kind: Invalid literal value/);
  refuses(() => parseServiceDocument({ ...good, version: 2 }), /version/);
  refuses(() => parseServiceDocument({ ...good, featureNames: ['a'] }), /featureNames: must be/);
  refuses(() => parseServiceDocument({ ...good, query: { ...(good.query as object), blockSize: 16 } }), /query: query layout for \d+ features must have blockSize 8/);
  refuses(() => parseServiceDocument({ ...good, query: { ...(good.query as object), galoisSteps: [1, 2] } }), /query: .*galoisSteps \[1, 2, 4\]/);
  refuses(() => parseServiceDocument({ ...good, query: { ...(good.query as object), ckks: { ...QUERY_PARAMETERS, coeffModulusBits: [60, 40, 60] } } }), /query: .*needs 2/);
  refuses(() => parseServiceDocument({ ...good, logitRange: [2, -6] }), /logitRange: \[2, -6\] is empty/);
  refuses(() => parseServiceDocument({ ...good, logitRange: [-80, 2] }), /logitRange: must lie within \[-50, 50\]/);
  refuses(() => parseServiceDocument({ ...good, logitRange: [0, Number.POSITIVE_INFINITY] }), /logitRange/);
  refuses(() => parseServiceDocument({ ...good, pricing: { ...DEFAULT_PRICING, maxAmount: '-1' } }), /pricing.maxAmount/);
  refuses(() => parseServiceDocument({ ...good, disclosureKey: 'AAAA' }), /disclosureKey: must be 32 bytes/);
  refuses(() => parseServiceDocument({ ...good, score: 2_000_000 }), /score/);
  refuses(() => parseServiceDocument({ ...good, tagTolerance: 0 }), /tagTolerance/);
  refuses(() => parseServiceDocument({ ...good, createdAt: 'yesterday' }), /createdAt/);
  refuses(() => parseServiceDocument({ ...good, encoding: { ...encoding, label: { column: 'x', kind: 'numeric' } } }), /encoding.label.kind: logistic regression needs a binary label/);
});

test('query, result, disclosure and sealed box documents: CIDs checked, strict fields, right kind', async () => {
  const [pk, gk, ct] = await Promise.all([cidOf('pk'), cidOf('gk'), cidOf('ct')]);
  const query = { version: 1, kind: 'hessian/loan-query', deploymentId: 0, featureCount: 5, ckks: QUERY_PARAMETERS, publicKey: pk, galoisKeys: gk, ciphertext: ct };
  assert.deepEqual(parseQueryDocument(query), query);
  refuses(() => parseQueryDocument({ ...query, publicKey: 'QmNotACid' }), /publicKey: not a valid CID/);
  refuses(() => parseQueryDocument({ ...query, galoisKeys: 42 }), /galoisKeys: Expected string/);
  refuses(() => parseQueryDocument({ ...query, kind: 'hessian/loan-result' }), /kind/);
  refuses(() => parseQueryDocument({ ...query, deploymentId: -1 }), /deploymentId/);
  refuses(() => parseQueryDocument({ ...query, ckks: { ...QUERY_PARAMETERS, polyModulusDegree: 1000 } }), /ckks: ckks.polyModulusDegree must be/);
  refuses(() => parseQueryDocument({ ...query, secret: 'x' }), /Unrecognized key/);

  const result = { version: 1, kind: 'hessian/loan-result', quoteId: 3, ciphertext: ct };
  assert.deepEqual(parseResultDocument(result), result);
  refuses(() => parseResultDocument({ ...result, ciphertext: 'bafy' }), /ciphertext: not a valid CID/);
  refuses(() => parseResultDocument({ ...result, quoteId: 1.5 }), /quoteId/);

  const disclosure = { version: 1, kind: 'hessian/loan-disclosure', quoteId: 3, logit: -1.5, tag: 900.25 };
  assert.deepEqual(parseDisclosure(disclosure), disclosure);
  refuses(() => parseDisclosure({ ...disclosure, logit: '1' }), /logit: Expected number/);
  refuses(() => parseDisclosure({ ...disclosure, features: [1, 2] }), /Unrecognized key/);
  refuses(() => parseDisclosure({ ...disclosure, kind: 'hessian/sealed' }), /kind/);

  const keys = generateDisclosureKeys();
  const box = seal(keys.publicKey, new Uint8Array([1, 2, 3]), disclosureContext(3));
  assert.deepEqual(parseSealedBox(JSON.parse(JSON.stringify(box))), box);
  refuses(() => parseSealedBox({ ...box, epk: 'AA==' }), /epk: not base64url/);
  refuses(() => parseSealedBox({ ...box, version: 2 }), /version/);
  assert.equal(disclosureContext(3), 'hessian/loan-disclosure/v1/quote/3');
  assert.throws(() => disclosureContext(-1), /quote id must be a non-negative integer/);
});
