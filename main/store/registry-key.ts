import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { FieldFlashError } from '../shared/errors'
import { checkDataFile, createFileOnce } from './data-dir-guard'

// The site's registry key: what keeps the secrets of a shared registry (per-device MQTT and Wi-Fi
// passwords, registration keys) sealed in a database that every station and its administrator can
// read. A key pair (X25519): the database holds the public half, so every station can seal a new
// secret (a new device's password, a new token's registration key); the private half opens them,
// and only the stations that render credentials hold it, in their own data directory, owner-only.
// Each value is sealed to the public key with a fresh ephemeral key (ECDH, HKDF-SHA-256), then
// AES-256-GCM with the value's place (table, column, row) as associated data, so a sealed value
// moved to another device does not open.

/** The key's file in the data directory. */
export const REGISTRY_KEY_FILE = 'registry-key'

const HEADER = 'fieldflash-registry-key v2 '

/** PKCS #8 of an X25519 private key, up to its 32 bytes (RFC 8410). */
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex')

/** What seals: the registry's public key, which the database holds for every station. */
export interface SealingKey {
  /** 16 hex digits naming the key pair (never the key): sealed values and the database carry it. */
  id: string
  publicKey: KeyObject
}

/** What opens as well: the private key, held by the stations that render credentials. */
export interface RegistryKey extends SealingKey {
  privateKey: KeyObject
}

/** The key from `dataDir`, or null when this station has none. */
export function readRegistryKey(dataDir: string): RegistryKey | null {
  const path = join(dataDir, REGISTRY_KEY_FILE)
  checkDataFile(path, [])
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new FieldFlashError(
      'io_error',
      `Could not read the registry key ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
      undefined,
      { cause: error },
    )
  }
  return parseRegistryKey(text, path)
}

/** The station's key, made on first use (two processes making it at once agree on one). */
export function registryKey(dataDir: string): RegistryKey {
  const existing = readRegistryKey(dataDir)
  if (existing) return existing
  const path = join(dataDir, REGISTRY_KEY_FILE)
  const jwk = generateKeyPairSync('x25519').privateKey.export({ format: 'jwk' })
  const secret = Buffer.from(jwk.d!, 'base64url').toString('hex')
  const text = createFileOnce(path, `${HEADER}${secret}\n`)
  return parseRegistryKey(text, path)
}

/** A key file's text as a key; `source` names it in the error. */
export function parseRegistryKey(text: string, source: string): RegistryKey {
  const match = /^fieldflash-registry-key v2 ([0-9a-f]{64})\s*$/.exec(text)
  if (!match) {
    throw new FieldFlashError(
      'store_corrupt',
      `${source} is not a FieldFlash registry key (expected "${HEADER.trim()} <64 hex digits>"). Copy the key file again from a station that holds it.`,
    )
  }
  // The public half follows from the private one (X25519 clamps the scalar itself).
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_X25519, Buffer.from(match[1]!, 'hex')]),
    format: 'der',
    type: 'pkcs8',
  })
  const publicKey = createPublicKey(privateKey)
  return { ...sealingKey(publicKey), privateKey }
}

/** The public half as the database keeps it (base64url of the 32 raw bytes). */
export function publicKeyText(key: SealingKey): string {
  return key.publicKey.export({ format: 'jwk' }).x!
}

/** The sealing key the database names: its public half (publicKeyText), checked against its id. */
export function sealingKeyFrom(id: string, publicText: string, source: string): SealingKey {
  let key: SealingKey
  try {
    key = sealingKey(
      createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: publicText }, format: 'jwk' }),
    )
  } catch (error) {
    throw new FieldFlashError(
      'store_corrupt',
      `${source} holds a damaged registry public key.`,
      undefined,
      {
        cause: error,
      },
    )
  }
  if (key.id !== id) {
    throw new FieldFlashError(
      'store_corrupt',
      `${source} names registry key ${id}, and its public key is ${key.id}'s: one of them was changed.`,
    )
  }
  return key
}

function sealingKey(publicKey: KeyObject): SealingKey {
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url')
  const id = createHash('sha256')
    .update('fieldflash registry key id\0')
    .update(raw)
    .digest('hex')
    .slice(0, 16)
  return { id, publicKey }
}

const b64 = (bytes: Buffer): string => bytes.toString('base64url')
const raw = (key: KeyObject): Buffer => Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url')

/** The AES key one sealed value uses: from the ephemeral and the registry's key pair. */
function valueKey(shared: Buffer, ephemeral: Buffer, registry: Buffer): Buffer {
  return Buffer.from(
    hkdfSync(
      'sha256',
      shared,
      Buffer.concat([ephemeral, registry]),
      'fieldflash registry seal v2',
      32,
    ),
  )
}

/**
 * Seals `plaintext` for the place `where` names (for example `devices.mqtt_password:pump-0001`):
 * `ffs2.<key id>.<ephemeral public key>.<iv>.<ciphertext>.<tag>`.
 */
export function sealSecret(key: SealingKey, plaintext: string, where: string): string {
  const ephemeral = generateKeyPairSync('x25519')
  const ephemeralRaw = raw(ephemeral.publicKey)
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: key.publicKey })
  const iv = randomBytes(12)
  const cipher = createCipheriv(
    'aes-256-gcm',
    valueKey(shared, ephemeralRaw, raw(key.publicKey)),
    iv,
  )
  cipher.setAAD(Buffer.from(where, 'utf8'))
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return `ffs2.${key.id}.${b64(ephemeralRaw)}.${b64(iv)}.${b64(body)}.${b64(cipher.getAuthTag())}`
}

/** Opens a sealed value of the place `where`; refuses one sealed with another key or tampered with. */
export function openSecret(key: RegistryKey, sealed: string, where: string): string {
  const parts = sealed.split('.')
  if (parts.length !== 6 || parts[0] !== 'ffs2') {
    throw new FieldFlashError('store_corrupt', `The sealed value of ${where} is malformed.`)
  }
  if (parts[1] !== key.id) {
    throw new FieldFlashError(
      'key_mismatch',
      `The value of ${where} was sealed with registry key ${parts[1]}, and this station holds key ${key.id}. Copy the site's registry key from a station that holds it.`,
    )
  }
  try {
    const ephemeralRaw = Buffer.from(parts[2]!, 'base64url')
    const ephemeral = createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: parts[2]! },
      format: 'jwk',
    })
    const shared = diffieHellman({ privateKey: key.privateKey, publicKey: ephemeral })
    const decipher = createDecipheriv(
      'aes-256-gcm',
      valueKey(shared, ephemeralRaw, raw(key.publicKey)),
      Buffer.from(parts[3]!, 'base64url'),
    )
    decipher.setAAD(Buffer.from(where, 'utf8'))
    decipher.setAuthTag(Buffer.from(parts[5]!, 'base64url'))
    return Buffer.concat([
      decipher.update(Buffer.from(parts[4]!, 'base64url')),
      decipher.final(),
    ]).toString('utf8')
  } catch (error) {
    throw new FieldFlashError(
      'store_corrupt',
      `The sealed value of ${where} does not open with registry key ${key.id}: it was changed or moved from another row.`,
      undefined,
      { cause: error },
    )
  }
}
