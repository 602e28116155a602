import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { HeContext, parameterSet } from '../src/he/context.ts';
import { generateKeys, loadPublicKey, loadSecretKeyFile, saveSecretKeyFile } from '../src/he/keys.ts';
import { decryptWeights, encryptWeights } from '../src/he/weights.ts';
import { gradientPacking } from '../src/he/gradient.ts';
import { EmbeddedContentStore } from '../src/ipfs/embedded.ts';

test('secret key file: mode 0600, no silent overwrite, loose permissions refused, round trip', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hessian-keys-'));
  const he = await HeContext.create(parameterSet('linear-8192'), 'linear');
  try {
    const keys = generateKeys(he, { relin: false });
    const path = join(dir, 'lender.sk.json');
    const oldUmask = process.umask(0o000); // even a permissive umask must not widen the mode
    try {
      await saveSecretKeyFile(path, he, keys.secretKey);
    } finally {
      process.umask(oldUmask);
    }
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    await assert.rejects(saveSecretKeyFile(path, he, keys.secretKey), /EEXIST/);
    // overwrite of a file that was 0644 still ends up 0600
    await chmod(path, 0o644);
    await saveSecretKeyFile(path, he, keys.secretKey, { overwrite: true });
    assert.equal((await stat(path)).mode & 0o777, 0o600);

    // a logger passed to save or load is told the key's text, so no log line can carry it
    const keyText = (JSON.parse(await readFile(path, 'utf8')) as { secretKey: string }).secretKey;
    for (const via of ['save', 'load'] as const) {
      const registered: string[] = [];
      const log = { addSecret: (s: string) => void registered.push(s) };
      if (via === 'save') await saveSecretKeyFile(path, he, keys.secretKey, { overwrite: true, log });
      else (await loadSecretKeyFile(path, he, { log })).delete();
      assert.deepEqual(registered, [keyText], `${via} registers the key text`);
    }

    const pk = loadPublicKey(he, keys.publicKey);
    const blobs = encryptWeights(he, [1.5, -2.25], { publicKey: pk });
    const loaded = await loadSecretKeyFile(path, he);
    const w = decryptWeights(he, blobs, loaded);
    assert.ok(Math.abs(w[0] - 1.5) < 1e-6 && Math.abs(w[1] + 2.25) < 1e-6);

    await chmod(path, 0o640);
    await assert.rejects(loadSecretKeyFile(path, he), /has mode 640: it must not be accessible by group or others/);
    await chmod(path, 0o600);
    const other = await HeContext.create(parameterSet('logistic-8192'), 'logistic');
    await assert.rejects(loadSecretKeyFile(path, other), /made for other CKKS parameters/);
    other.delete();
    const junk = join(dir, 'junk.json');
    await writeFile(junk, '{"hello":1}', { mode: 0o600 });
    await assert.rejects(loadSecretKeyFile(junk, he), /not a Hessian CKKS secret key/);
    pk.delete(); loaded.delete(); keys.secretKey.delete();
  } finally {
    he.delete();
    await rm(dir, { recursive: true, force: true });
  }
});

test('the secret key handle never prints or serializes its key', async () => {
  const he = await HeContext.create(parameterSet('linear-8192'), 'linear');
  const keys = generateKeys(he, { relin: false });
  const skB64 = Buffer.from(keys.secretKey.unwrap().saveToArray(he.seal.ComprModeType.none) as Uint8Array).toString('base64');
  for (const shown of [String(keys.secretKey), JSON.stringify({ keys }), inspect(keys, { depth: 10 }), `${keys.secretKey}`]) {
    assert.ok(shown.includes('[SecretKey redacted]'), shown.slice(0, 200));
    assert.ok(!shown.includes(skB64.slice(40, 100)));
  }
  keys.secretKey.delete();
  he.delete();
});

test('everything a lender publishes leaves the secret key out of the content store', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hessian-pub-'));
  const he = await HeContext.create(parameterSet('logistic-8192'), 'logistic');
  const store = await EmbeddedContentStore.open(join(dir, 'ipfs'));
  try {
    // a few rotation keys are enough to show none of the published key material carries the secret
    const p = gradientPacking('logistic', he.params, 5);
    const keys = generateKeys(he, { relin: true, galoisSteps: p.galoisSteps.slice(0, 3) });
    const pk = loadPublicKey(he, keys.publicKey);
    await store.put(keys.publicKey);
    await store.put(keys.relinKeys!);
    await store.put(keys.galoisKeys!);
    for (const b of encryptWeights(he, [0.1, 0.2, 0.3, 0.4, 0.5], { publicKey: pk, secretKey: keys.secretKey })) await store.put(b);
    await store.putJson({ keys });
    // the secret key in every form it could leak as: SEAL bytes (raw, zstd) and base64
    const raw = Buffer.from(keys.secretKey.unwrap().saveToArray(he.seal.ComprModeType.none) as Uint8Array);
    const zstd = Buffer.from(keys.secretKey.unwrap().saveToArray(he.seal.ComprModeType.zstd) as Uint8Array);
    const needles = [raw.subarray(100, 164), zstd.subarray(40, 104), Buffer.from(zstd.toString('base64').slice(60, 140))];
    let files = 0;
    for (const entry of await readdir(join(dir, 'ipfs'), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const content = await readFile(join(entry.parentPath, entry.name));
      files++;
      for (const n of needles) assert.equal(content.indexOf(n), -1, `secret key material found in ${entry.name}`);
    }
    assert.ok(files > 10);
    pk.delete(); keys.secretKey.delete();
  } finally {
    await store.close();
    he.delete();
    await rm(dir, { recursive: true, force: true });
  }
});
