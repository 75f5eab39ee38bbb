import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { FieldFlashError } from '../shared/errors'
import { checkDataFile, createFileOnce } from './data-dir-guard'

// The site's registry key: what keeps the secrets of a shared registry (per-device MQTT and Wi-Fi
// passwords, registration keys) sealed in a database that every station and its administrator can
// read. Each station holds the key in its own data directory, owner-only; the database holds only
// sealed values and the key's id. AES-256-GCM, a fresh IV per value, and the value's place (table,
// column, row) as associated data, so a sealed value moved to another device does not open.

/** The key's file in the data directory. */
export const REGISTRY_KEY_FILE = 'registry-key'

const HEADER = 'fieldflash-registry-key v1 '

export interface RegistryKey {
  /** 16 hex digits naming the key (never the key): sealed values and the database carry it. */
  id: string
  secret: Buffer
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
  const text = createFileOnce(path, `${HEADER}${randomBytes(32).toString('hex')}\n`)
  return parseRegistryKey(text, path)
}

/** A key file's text as a key; `source` names it in the error. */
export function parseRegistryKey(text: string, source: string): RegistryKey {
  const match = /^fieldflash-registry-key v1 ([0-9a-f]{64})\s*$/.exec(text)
  if (!match) {
    throw new FieldFlashError(
      'store_corrupt',
      `${source} is not a FieldFlash registry key (expected "${HEADER.trim()} <64 hex digits>"). Copy the key file again from a station that holds it.`,
    )
  }
  const secret = Buffer.from(match[1]!, 'hex')
  return { id: keyId(secret), secret }
}

function keyId(secret: Buffer): string {
  return createHmac('sha256', secret)
    .update('fieldflash registry key id')
    .digest('hex')
    .slice(0, 16)
}

const b64 = (bytes: Buffer): string => bytes.toString('base64url')

/** Seals `plaintext` for the place `where` names (for example `devices.mqtt_password:pump-0001`). */
export function sealSecret(key: RegistryKey, plaintext: string, where: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key.secret, iv)
  cipher.setAAD(Buffer.from(where, 'utf8'))
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return `ffs1.${key.id}.${b64(iv)}.${b64(body)}.${b64(cipher.getAuthTag())}`
}

/** Opens a sealed value of the place `where`; refuses one sealed with another key or tampered with. */
export function openSecret(key: RegistryKey, sealed: string, where: string): string {
  const parts = sealed.split('.')
  if (parts.length !== 5 || parts[0] !== 'ffs1') {
    throw new FieldFlashError('store_corrupt', `The sealed value of ${where} is malformed.`)
  }
  if (parts[1] !== key.id) {
    throw new FieldFlashError(
      'key_mismatch',
      `The value of ${where} was sealed with registry key ${parts[1]}, and this station holds key ${key.id}. Copy the site's registry key from a station that holds it.`,
    )
  }
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      key.secret,
      Buffer.from(parts[2]!, 'base64url'),
    )
    decipher.setAAD(Buffer.from(where, 'utf8'))
    decipher.setAuthTag(Buffer.from(parts[4]!, 'base64url'))
    return Buffer.concat([
      decipher.update(Buffer.from(parts[3]!, 'base64url')),
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
