// Ethereum accounts for the daemons: an encrypted ethers JSON keystore (preferred) or a raw
// private key from the environment. The private key and the keystore's password are registered
// with the logger so they can never be written to a log, even inside an error message.
import { open, readFile } from 'node:fs/promises';
import { Wallet, isHexString } from 'ethers';
import type { Provider } from 'ethers';
import type { Logger } from '../log.ts';

export interface WalletSource {
  /** path to an ethers/geth JSON keystore */
  keystore?: string;
  /** the keystore's password */
  password?: string;
  /** 0x-prefixed 32-byte hex private key */
  privateKey?: string;
}

/** reads HESSIAN_KEYSTORE + HESSIAN_KEYSTORE_PASSWORD, or HESSIAN_PRIVATE_KEY */
export function walletSourceFromEnv(env: NodeJS.ProcessEnv = process.env): WalletSource {
  return {
    ...(env.HESSIAN_KEYSTORE ? { keystore: env.HESSIAN_KEYSTORE } : {}),
    ...(env.HESSIAN_KEYSTORE_PASSWORD !== undefined ? { password: env.HESSIAN_KEYSTORE_PASSWORD } : {}),
    ...(env.HESSIAN_PRIVATE_KEY ? { privateKey: env.HESSIAN_PRIVATE_KEY } : {}),
  };
}

export async function loadWallet(src: WalletSource, provider?: Provider, log?: Logger): Promise<Wallet> {
  let wallet: Wallet;
  if (src.keystore) {
    if (src.password === undefined) {
      throw new Error(`keystore ${src.keystore} needs a password (set HESSIAN_KEYSTORE_PASSWORD or --password-file)`);
    }
    // before anything can fail and be logged: a password is as good as the key it unlocks
    log?.addSecret(src.password);
    let json: string;
    try {
      json = await readFile(src.keystore, 'utf8');
    } catch (err) {
      throw new Error(`cannot read keystore ${src.keystore}: ${(err as Error).message}`);
    }
    let decrypted;
    try {
      decrypted = await Wallet.fromEncryptedJson(json, src.password);
    } catch (err) {
      throw new Error(`cannot decrypt keystore ${src.keystore}: ${(err as Error).message}`);
    }
    wallet = new Wallet(decrypted.privateKey);
  } else if (src.privateKey) {
    const pk = src.privateKey.startsWith('0x') ? src.privateKey : `0x${src.privateKey}`;
    if (!isHexString(pk, 32)) {
      throw new Error('private key must be 32 bytes of hex (HESSIAN_PRIVATE_KEY); the value given is not');
    }
    wallet = new Wallet(pk);
  } else {
    throw new Error('no Ethereum account: set HESSIAN_KEYSTORE (+ HESSIAN_KEYSTORE_PASSWORD) or HESSIAN_PRIVATE_KEY');
  }
  log?.addSecret(wallet.privateKey);
  return provider ? wallet.connect(provider) : wallet;
}

/** writes an encrypted keystore for a private key (file mode 0600, an existing file's too) */
export async function writeKeystore(file: string, privateKey: string, password: string): Promise<string> {
  const wallet = new Wallet(privateKey);
  const json = await wallet.encrypt(password);
  // the mode argument only applies when the file is created
  const fh = await open(file, 'w', 0o600);
  try {
    await fh.chmod(0o600);
    await fh.writeFile(json);
  } finally {
    await fh.close();
  }
  return wallet.address;
}
