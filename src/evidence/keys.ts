/**
 * Ed25519 keys. Private keys are PKCS#8 PEM, public keys SPKI PEM, so openssl reads both; the key id is the
 * hex SHA-256 of the SPKI DER (`openssl pkey -pubin -in KEY.pub -outform DER | sha256sum`).
 * Keys are parsed once and passed around as KeyObjects: parsing a PEM per signature is an order slower.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DrillbookError } from '../errors.js';

/** A private key ready to sign, with its public half and key id. */
export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyid: string;
}

/** A public key the verifier trusts (pinned by the person verifying). */
export interface TrustedKey {
  publicKey: KeyObject;
  keyid: string;
  /** Where it came from (file name), for messages. */
  source: string;
}

/** A new Ed25519 key pair as PEM text. */
export function generateKeyPair(): { privateKeyPem: string; publicKeyPem: string; keyid: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyid: keyIdOf(publicKey),
  };
}

/** Hex SHA-256 of the SPKI DER of a key's public half. */
export function keyIdOf(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** Parse a signing key from PEM text (PKCS#8 Ed25519). `source` names it in errors. */
export function parseSigningKey(pem: string | Buffer, source: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (error) {
    throw new DrillbookError('USAGE', `${source} is not a PEM private key`, { cause: error, hint: 'create one with `drillbook keys generate NAME`' });
  }
  assertEd25519(privateKey, source);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyid: keyIdOf(publicKey) };
}

/** A signing key from a KeyObject or a PEM file path (read once). */
export function loadSigningKey(key: KeyObject | string): SigningKey {
  if (typeof key !== 'string') {
    if (key.type !== 'private') throw new DrillbookError('USAGE', 'the signing key must be a private key');
    assertEd25519(key, 'the signing key');
    const publicKey = createPublicKey(key);
    return { privateKey: key, publicKey, keyid: keyIdOf(publicKey) };
  }
  return parseSigningKey(readKeyFile(key), key);
}

/** Parse a trusted key from PEM text: SPKI public key, or a private key whose public half is used. */
export function parseTrustedKey(pem: string | Buffer, source: string): TrustedKey {
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(pem);
  } catch (error) {
    throw new DrillbookError('USAGE', `${source} is not a PEM public key`, { cause: error });
  }
  assertEd25519(publicKey, source);
  return { publicKey, keyid: keyIdOf(publicKey), source };
}

/** A trusted key from a PEM file (read once). */
export function loadTrustedKey(file: string): TrustedKey {
  return parseTrustedKey(readKeyFile(file), file);
}

function readKeyFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new DrillbookError('USAGE', `cannot read key file ${file}: ${(error as Error).message}`, { cause: error });
  }
}

function assertEd25519(key: KeyObject, source: string): void {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new DrillbookError('USAGE', `${source} is a ${key.asymmetricKeyType ?? 'symmetric'} key; drillbook signs with Ed25519`, {
      hint: 'create one with `drillbook keys generate NAME`',
    });
  }
}
