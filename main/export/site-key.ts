import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { checkDataFile, createFileOnce } from '../store/data-dir-guard'
import { FieldFlashError } from '../shared/errors'

/** The site's signing key in the data directory: PKCS #8 PEM, owner-only. */
export const SITE_KEY_FILE = 'site-key.pem'

/**
 * The site's Ed25519 key, generated on first use: it signs every export, so a platform that pinned
 * the public key (`fieldflash site show`) can tell an export of this site from anything else. Two
 * processes generating it at once agree: the file is created exclusively, and the loser reads it.
 */
export function siteKey(dataDir: string): { privateKey: KeyObject; publicKey: KeyObject } {
  const path = join(dataDir, SITE_KEY_FILE)
  checkDataFile(path, [])
  let pem: string
  try {
    pem = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw unreadable(path, error)
    pem = create(path)
  }
  try {
    const privateKey = createPrivateKey(pem)
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key')
    return { privateKey, publicKey: createPublicKey(privateKey) }
  } catch (error) {
    throw new FieldFlashError(
      'store_corrupt',
      `${path} is not the site's Ed25519 signing key (${(error as Error).message}). Restore it from a backup: platforms that pinned this site's public key accept nothing signed with another.`,
      undefined,
      { cause: error },
    )
  }
}

/** The public half as PEM (SPKI), for a platform to pin, and its SHA-256 (of the DER). */
export function sitePublicKey(dataDir: string): { pem: string; sha256: string } {
  const { publicKey } = siteKey(dataDir)
  return {
    pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sha256: publicKeySha256(publicKey),
  }
}

/** SHA-256 of a public key's SPKI DER, hex: how an export's header names the key that signed it. */
export function publicKeySha256(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
}

function create(path: string): string {
  const { privateKey } = generateKeyPairSync('ed25519')
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  try {
    return createFileOnce(path, pem)
  } catch (error) {
    throw unreadable(path, error)
  }
}

function unreadable(path: string, error: unknown): FieldFlashError {
  return new FieldFlashError(
    'io_error',
    `Could not read or create the site's signing key ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
    undefined,
    { cause: error },
  )
}
