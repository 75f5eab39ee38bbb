import { effectiveState } from '../credentials/tokens'
import {
  TOKEN_LENGTH,
  TOKEN_PREFIX,
  findTokenProblem,
  tokenHash,
} from '../credentials/token-format'
import type { BoardCatalog } from '../boards/catalog'
import { FieldFlashError } from '../shared/errors'
import { requireDevice } from '../store/require-device'
import type { FieldFlashStore, StoreReader } from '../store/store'
import type { FirmwareCheck, FirmwareTokenCheck } from './firmware-token-types'
import { loadFirmwareBundle } from './firmware/load-firmware-bundle'
import type { FirmwareBundle } from './firmware/firmware-bundle'
import { summarizeFirmwareBundle } from './firmware/summarize-firmware-bundle'

// A provisioning token is a plain C string literal in device_config.h, so a firmware built from a
// template carries it verbatim in its read-only data. Finding it before flashing tells the
// technician, before anything is written, that a firmware was built from an outdated template.

const TOKEN_BODY = new RegExp(`${TOKEN_PREFIX}[0-9a-z]{${TOKEN_LENGTH - TOKEN_PREFIX.length}}`, 'g')

/** Every well-formed provisioning token in the bytes (checksums verified), without duplicates. */
export function findTokensIn(images: readonly Uint8Array[]): string[] {
  const found = new Set<string>()
  for (const image of images) {
    const text = Buffer.from(image.buffer, image.byteOffset, image.byteLength).toString('latin1')
    for (const match of text.matchAll(TOKEN_BODY)) {
      if (findTokenProblem(match[0]) === null) found.add(match[0])
    }
  }
  return [...found]
}

/**
 * Compares the tokens found in a firmware with what the store knows about `uid`. The tokens are
 * matched by hash (the store keeps no plaintext) and never leave this function.
 */
export async function checkFirmwareToken(
  tx: StoreReader,
  uid: string,
  images: readonly Uint8Array[],
  now: Date,
): Promise<FirmwareTokenCheck> {
  const found = await judgeFirmwareToken(tx, uid, images, now)
  return { ...found, mismatch: isTokenMismatch(found) }
}

async function judgeFirmwareToken(
  tx: StoreReader,
  uid: string,
  images: readonly Uint8Array[],
  now: Date,
): Promise<Omit<FirmwareTokenCheck, 'mismatch'>> {
  const tokens = findTokensIn(images)
  if (tokens.length === 0) {
    return {
      status: 'none',
      fingerprint: null,
      tokenState: null,
      otherUid: null,
      message:
        'No provisioning token was found in this firmware, so FieldFlash cannot tell yet whether it matches the device. Verify after flashing.',
    }
  }
  const hashes = tokens.map(tokenHash)
  const device = await tx.device(uid)
  const own = device?.tokens.filter((t) => hashes.includes(t.hash)) ?? []
  const current = own.find((t) => effectiveState(t, now) === 'issued')
  if (current) {
    return {
      status: 'current',
      fingerprint: current.fingerprint,
      tokenState: 'issued',
      otherUid: null,
      message: `The firmware carries ${uid}'s current token ${current.fingerprint}.`,
    }
  }
  const latest = own.at(-1)
  if (latest) {
    const state = effectiveState(latest, now)
    return {
      status: 'stale',
      fingerprint: latest.fingerprint,
      tokenState: state,
      otherUid: null,
      message: `The firmware carries token ${latest.fingerprint} of ${uid}, which is ${state}: it was built from an outdated template and will not verify. Download the template again (or paste the regenerated token), rebuild, then flash.`,
    }
  }
  for (const hash of hashes) {
    const other = await tx.tokenByHash(hash)
    if (other && other.uid !== uid) {
      const match = other.token
      return {
        status: 'foreign',
        fingerprint: match.fingerprint,
        tokenState: effectiveState(match, now),
        otherUid: other.uid,
        message: `The firmware carries token ${match.fingerprint} of another device, ${other.uid}. Choose the firmware built from ${uid}'s template.`,
      }
    }
  }
  return {
    status: 'unknown',
    fingerprint: hashes[0]!.slice(0, 8),
    tokenState: null,
    otherUid: null,
    message:
      'The firmware carries a provisioning token this FieldFlash never minted (another installation or data folder). Download the template here, rebuild, then flash.',
  }
}

/** The one rule for "this firmware carries the wrong token": anything but current or none. */
export function isTokenMismatch(check: Pick<FirmwareTokenCheck, 'status'>): boolean {
  return check.status !== 'current' && check.status !== 'none'
}

/**
 * What the technician chose to flash for a device, checked before anything is written: the
 * firmware loaded for the device's board, its parts, and whether the token it carries is the
 * device's current one. The app's firmware step shows this.
 */
export async function checkFirmwareForDevice(
  store: FieldFlashStore,
  catalog: BoardCatalog,
  request: { uid: string; firmwarePath: string; now: Date },
): Promise<FirmwareCheck> {
  const device = await store.read((tx) => requireDevice(tx, request.uid))
  const board = catalog.get(device.boardId)
  const bundle = await loadFirmwareBundle({ path: request.firmwarePath, board })
  return describeFirmwareFor(store, request.uid, bundle, request.now)
}

/** A loaded firmware as the device's firmware check shows it (parts, and the token rule). */
export async function describeFirmwareFor(
  store: FieldFlashStore,
  uid: string,
  bundle: FirmwareBundle,
  now: Date,
): Promise<FirmwareCheck> {
  const summary = summarizeFirmwareBundle(bundle)
  return {
    path: bundle.source,
    name: bundle.name,
    kind: bundle.kind,
    totalBytes: summary.totalBytes,
    parts: summary.parts.map((p) => ({
      name: p.name,
      offsetHex: p.offsetHex,
      size: p.size,
      generated: p.generated,
    })),
    token: await store.read((tx) =>
      checkFirmwareToken(
        tx,
        uid,
        bundle.parts.map((p) => p.data),
        now,
      ),
    ),
  }
}

/** The option that overrides a token refusal; each face names it its own way. */
export const ACCEPT_TOKEN_MISMATCH = 'acceptTokenMismatch'

/**
 * The one rule for a firmware built for a device: a superseded, revoked, foreign or unknown token
 * is refused before anything is written, unless the technician accepted it. Answers the warning
 * to show when accepted (null when there is nothing to accept); throws `invalid_state` naming
 * the token otherwise.
 */
export function applyTokenRule(token: FirmwareTokenCheck, accept: boolean): string | null {
  if (!isTokenMismatch(token)) return null
  if (!accept) {
    throw new FieldFlashError(
      'invalid_state',
      `${token.message} Nothing was written.`,
      ACCEPT_TOKEN_MISMATCH,
    )
  }
  return token.message
}
