// A deployment's secret material on the lender's machine: the model's decrypted weights and their
// commitment, the disclosure key file, and the check that all of it is here before loading.
import { constants } from 'node:fs';
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { concat, sha256 } from 'ethers';
import type { ContentStore } from '@hessian/core/ipfs';
import type { ModelDeployed } from '../chain/loan-desk/index.ts';
import { loadSecretKeyFile } from '@hessian/core/he';
import type { Logger } from '@hessian/core/log';
import { lenderJournal, fetchDecryptedWeights, fetchMetadata, modelFeatureCount, openHeContext } from '@hessian/core/model';
import type { LenderModelRecord } from '@hessian/core/model';
import type { DeploymentRecord } from './journal.ts';

export function findModelRecord(stateDir: string, modelId: number): LenderModelRecord {
  const rec = Object.values(lenderJournal(stateDir, { readOnly: true }).value.models).find((m) => m.modelId === modelId);
  if (!rec) throw new Error(`model ${modelId} was not opened from the state directory ${stateDir} (no lender.json record with this id)`);
  return rec;
}

export function weightsCommitment(salt: Uint8Array, w: Float64Array): string {
  const bytes = new Uint8Array(w.length * 8);
  const view = new DataView(bytes.buffer);
  w.forEach((v, i) => view.setFloat64(i * 8, v, true));
  return sha256(concat([salt, bytes]));
}

/** the model's plaintext weights at a version, decrypted with the lender's secret key */
export async function decryptModelWeights(store: ContentStore, record: LenderModelRecord, metadataCid: string, weightsCid: string, log: Logger) {
  const meta = await fetchMetadata(store, metadataCid);
  const he = await openHeContext(meta);
  try {
    const sk = await loadSecretKeyFile(record.secretKeyFile, he, { log });
    try {
      return { meta, w: await fetchDecryptedWeights(store, he, sk, weightsCid, modelFeatureCount(meta)) };
    } finally {
      sk.delete();
    }
  } finally {
    he.delete();
  }
}

export async function saveDisclosureKey(file: string, privateKey: string): Promise<void> {
  await writeFile(file, JSON.stringify({ version: 1, kind: 'hessian/x25519-secret-key', privateKey }) + '\n', { mode: 0o600, flag: 'wx' });
}

export async function loadDisclosureKey(file: string, log: Logger): Promise<string> {
  const st = await stat(file);
  if ((st.mode & 0o077) !== 0) {
    throw new Error(`disclosure key file ${file} has mode ${(st.mode & 0o777).toString(8)}: it must not be accessible by group or others (chmod 600)`);
  }
  const doc = JSON.parse(await readFile(file, 'utf8')) as { kind?: string; privateKey?: string };
  if (doc?.kind !== 'hessian/x25519-secret-key' || typeof doc.privateKey !== 'string') throw new Error(`${file} is not a disclosure key file`);
  log.addSecret(doc.privateKey);
  return doc.privateKey;
}

/** what one deployment of this account needs from this machine, or what is missing */
export interface Material {
  rec: DeploymentRecord;
  model: LenderModelRecord;
}

/**
 * The deployment's secret material, checked without decrypting anything: its journal record
 * (salt, commitment, disclosure key file: written by `hessian loan deploy` in this state
 * directory), the lender.json record of its model and the two key files. A string names what
 * is missing.
 */
export async function findMaterial(stateDir: string, records: Record<string, DeploymentRecord>, d: ModelDeployed): Promise<Material | string> {
  const rec = Object.values(records).find((r) => r.serviceCid === d.serviceCid);
  if (!rec) return `no record of its service document ${d.serviceCid} in ${path.join(stateDir, 'loan-deployments.json')} (was it deployed from another state directory?)`;
  if (rec.weightsCid !== d.weightsCid || rec.weightsCommitment !== d.weightsCommitment) {
    return `the journaled deployment of ${d.serviceCid} names weights ${rec.weightsCid} (commitment ${rec.weightsCommitment}), the chain ${d.weightsCid} (${d.weightsCommitment})`;
  }
  // service document, weights and commitment are public: anyone can deploy a copy naming this
  // account as its service (security review L7). Only the deployment this directory made is ours.
  if (rec.modelId !== d.modelId || (rec.deploymentId !== undefined && rec.deploymentId !== d.deploymentId)) {
    return `${d.serviceCid} was deployed from this state directory as deployment ${rec.deploymentId ?? '(not yet recorded)'} of model ${rec.modelId}; deployment ${d.deploymentId} (model ${d.modelId}, by ${d.lender}) is a copy`;
  }
  let model: LenderModelRecord;
  try {
    model = findModelRecord(stateDir, rec.modelId);
  } catch (err) {
    return `the CKKS secret key of model ${rec.modelId}: ${(err as Error).message}`;
  }
  for (const [what, file] of [['the CKKS secret key file', model.secretKeyFile], ['the disclosure key file', rec.disclosureKeyFile]] as const) {
    try {
      await access(file, constants.R_OK);
    } catch (err) {
      return `${what} ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
    }
  }
  return { rec, model };
}
