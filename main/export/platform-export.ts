import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { viewToken } from '../credentials/tokens'
import {
  latestRegistration,
  registrationStatus,
  viewRegistration,
} from '../registration/registrations'
import { FieldFlashError, invalidInput } from '../shared/errors'
import type { DeviceRecord } from '../store/records'
import type { FieldFlashStore, StoreReader } from '../store/store'
import { writeFileAtomically } from '../shared/atomic-file'
import type { ExportResult } from './export-types'
import { publicKeySha256, siteKey } from './site-key'

export type { ExportResult }

// The signed export for the platform (docs/export.md): what an offline site did, as JSON lines, so
// the backend learns every token it minted (by hash), every approval and every registration token
// (by hash) it handed a board, and every revocation. Never a plaintext secret. Incremental: each
// export ends with a cursor, and --since <cursor> exports only the devices that changed after it.

export const EXPORT_FORMAT = 'fieldflash-export-v1'

/** The registry remembers the last export, so the next can say "what changed since then". */
const LAST_EXPORT_META = 'export.last'

export interface LastExport {
  cursor: string
  at: string
  path: string
}

/** The export written last from this registry (by the app or the CLI), or null. */
export async function lastExport(store: FieldFlashStore): Promise<LastExport | null> {
  const text = await store.read((tx) => tx.getMeta(LAST_EXPORT_META))
  if (text === null) return null
  try {
    return JSON.parse(text) as LastExport
  } catch {
    return null
  }
}

/** Writes the export of the registry (or of what changed after `since`) and its signature. */
export async function writePlatformExport(
  store: FieldFlashStore,
  request: { outPath: string; since?: string; now?: Date },
): Promise<ExportResult> {
  if (typeof request.outPath !== 'string' || request.outPath === '') {
    throw invalidInput('out', 'is required')
  }
  const since = request.since === undefined ? null : await parseCursor(store, request.since)
  const now = request.now ?? new Date()
  const { privateKey, publicKey } = siteKey(store.dataDir)
  // One read transaction: the records and the cursor are of the same moment.
  const { lines, devices, cursor } = await store.read((tx) =>
    exportLines(tx, since, now, publicKey),
  )
  const text = lines.map((line) => JSON.stringify(line)).join('\n') + '\n'
  const bytes = Buffer.from(text, 'utf8')
  const signature = sign(null, bytes, privateKey).toString('base64') + '\n'
  const path = request.outPath
  const signaturePath = `${path}.sig`
  await writeFileAtomically(path, bytes, { field: 'out' })
  await writeFileAtomically(signaturePath, signature, { field: 'out' })
  const last: LastExport = { cursor: String(cursor), at: now.toISOString(), path }
  await store.write((tx) => tx.setMeta(LAST_EXPORT_META, JSON.stringify(last)))
  return {
    path,
    signaturePath,
    devices,
    records: lines.length,
    bytes: bytes.length,
    cursor: String(cursor),
    since: since === null ? null : String(since),
  }
}

/**
 * The app's Export: everything, or what changed since the last export, written where `choose`
 * (main's save dialog) says; null when the technician cancelled.
 */
export async function exportToChosenFile(
  store: FieldFlashStore,
  request: {
    changesOnly: boolean
    choose: (defaultName: string) => Promise<string | null>
    now: Date
  },
): Promise<ExportResult | null> {
  // Refused before the dialog: there is nothing to continue from.
  if (request.changesOnly && !(await lastExport(store))) {
    throw invalidInput('changesOnly', 'nothing was exported yet: export everything first')
  }
  const day = request.now.toISOString().slice(0, 10)
  const path = await request.choose(
    `fieldflash-export-${day}${request.changesOnly ? '-changes' : ''}.jsonl`,
  )
  if (path === null) return null
  return writePlatformExport(store, {
    outPath: path,
    since: request.changesOnly ? 'last' : undefined,
    now: request.now,
  })
}

async function parseCursor(store: FieldFlashStore, text: string): Promise<number> {
  if (text === 'last') {
    const last = await lastExport(store)
    if (!last)
      throw invalidInput(
        'since',
        'is "last", but nothing was exported yet: export everything first',
      )
    return Number(last.cursor)
  }
  if (!/^(0|[1-9]\d{0,14})$/.test(text)) {
    throw invalidInput(
      'since',
      'must be the cursor a previous export printed (a whole number), or "last"',
    )
  }
  return Number(text)
}

async function exportLines(
  tx: StoreReader,
  since: number | null,
  now: Date,
  publicKey: KeyObject,
): Promise<{ lines: object[]; devices: number; cursor: number }> {
  const cursor = await tx.auditCursor()
  if (since !== null && since > cursor) {
    throw invalidInput(
      'since',
      `is ahead of this registry (its cursor is ${cursor}): it was printed by an export of another data directory`,
    )
  }
  const uids =
    since === null ? await allUids(tx) : since === cursor ? [] : await tx.devicesChangedSince(since)
  const site = await tx.site()
  const lines: object[] = [
    {
      type: 'header',
      format: EXPORT_FORMAT,
      generatedAt: now.toISOString(),
      site: site ? { platformKey: site.platformKey, apiHost: site.apiHost } : null,
      publicKeySha256: publicKeySha256(publicKey),
      since: since === null ? null : String(since),
      cursor: String(cursor),
      full: since === null,
    },
  ]
  for (const uid of uids) {
    const device = await tx.device(uid)
    if (device) lines.push(...deviceLines(device, now))
  }
  lines.push({ type: 'end', devices: uids.length, records: lines.length + 1 })
  return { lines, devices: uids.length, cursor }
}

async function allUids(tx: StoreReader): Promise<string[]> {
  const uids: string[] = []
  let after = 0
  for (;;) {
    const page = await tx.listDevices({ after, limit: 1000 })
    if (page.length === 0) return uids
    for (const item of page) uids.push(item.uid)
    after = page.at(-1)!.seq
  }
}

/** One device's records: the device, its tokens, approvals and registration tokens. */
function deviceLines(device: DeviceRecord, now: Date): object[] {
  const latest = latestRegistration(device)
  const lines: object[] = [
    {
      type: 'device',
      uid: device.uid,
      boardId: device.boardId,
      createdAt: device.createdAt,
      mqttUsername: device.mqtt.username,
      mqttPasswordSetAt: device.mqtt.passwordSetAt,
      approvedAt: device.approvedAt,
      registration: registrationStatus(latest, now),
    },
  ]
  for (const token of device.tokens) {
    const view = viewToken(token, now)
    lines.push({
      type: 'token',
      uid: device.uid,
      fingerprint: token.fingerprint,
      sha256: token.hash,
      state: view.state,
      origin: token.origin,
      issuedAt: token.issuedAt,
      expiresAt: token.expiresAt,
      endedAt: view.endedAt,
    })
  }
  for (const op of device.operations) {
    if (op.state !== 'approved') continue
    lines.push({
      type: 'approval',
      uid: device.uid,
      operationId: op.id,
      fingerprint: op.fingerprint,
      approver: op.approver,
      mac: op.mac,
      approvedAt: op.decidedAt,
    })
  }
  for (const r of device.registrations) {
    const view = viewRegistration(r, now)
    lines.push({
      type: 'registration',
      uid: device.uid,
      fingerprint: r.fingerprint,
      sha256: r.hash,
      state: view.state,
      origin: r.origin,
      provisioningFingerprint: r.provisioningFingerprint,
      issuedAt: r.issuedAt,
      expiresAt: r.expiresAt,
      acknowledgedAt: r.ackedAt,
      mac: r.mac,
      revoked: r.state === 'revoked',
      endedAt: r.endedAt,
    })
  }
  return lines
}

export interface VerifiedExport {
  path: string
  /** The records, header and end included. */
  records: number
  devices: number
  cursor: string
  since: string | null
  /** SHA-256 of the public key that signed it (hex), as `site show` prints it. */
  publicKeySha256: string
}

/**
 * Checks an export against its detached signature (`<file>.sig`) and a public key (the site's
 * own by default, or one given as PEM), then its structure: a header, JSON records, an end record
 * counting them. A modified, truncated or foreign-key file is refused naming the problem.
 */
export async function verifyPlatformExport(request: {
  path: string
  /** The public key, PEM; default: this data directory's site key. */
  publicKeyPem?: string
  dataDir: string
}): Promise<VerifiedExport> {
  const { path } = request
  const refuse = (rule: string): FieldFlashError =>
    new FieldFlashError('invalid_input', `${path}: ${rule}`, 'file')
  const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'ENOENT'
      ? refuse('does not exist')
      : refuse(`cannot be read (${error.code})`)
  })
  const signatureText = await readFile(`${path}.sig`, 'ascii').catch(() => {
    throw refuse(`has no signature: ${path}.sig is missing`)
  })
  const signature = Buffer.from(signatureText.trim(), 'base64')
  let publicKey: KeyObject
  try {
    publicKey = request.publicKeyPem
      ? createPublicKey(request.publicKeyPem)
      : siteKey(request.dataDir).publicKey
  } catch (error) {
    if (error instanceof FieldFlashError) throw error
    throw invalidInput('key', `is not a public key in PEM (${(error as Error).message})`)
  }
  if (publicKey.asymmetricKeyType !== 'ed25519') throw invalidInput('key', 'must be an Ed25519 key')
  const keySha256 = publicKeySha256(publicKey)
  if (signature.length !== 64 || !verify(null, bytes, publicKey, signature)) {
    // Which of the two: a file signed by another key says so in its header.
    const header = firstRecord(bytes)
    if (header && header.publicKeySha256 && header.publicKeySha256 !== keySha256) {
      throw refuse(
        `was signed by another key (${String(header.publicKeySha256).slice(0, 16)}…), not this site's (${keySha256.slice(0, 16)}…)`,
      )
    }
    throw refuse(
      'its signature does not match its bytes: it was modified or truncated after it was signed',
    )
  }
  const lines = bytes.toString('utf8').split('\n')
  if (lines.at(-1) !== '') throw refuse('does not end with a line end: it is truncated')
  lines.pop()
  const records = lines.map((line, i) => {
    try {
      return JSON.parse(line) as Record<string, unknown>
    } catch {
      throw refuse(`line ${i + 1} is not JSON`)
    }
  })
  const header = records[0]
  const end = records.at(-1)
  if (header?.type !== 'header' || header.format !== EXPORT_FORMAT) {
    throw refuse(`does not start with a ${EXPORT_FORMAT} header`)
  }
  if (end?.type !== 'end' || end.records !== records.length) {
    throw refuse('has no end record counting its records: it is truncated')
  }
  return {
    path,
    records: records.length,
    devices: Number(end.devices),
    cursor: String(header.cursor),
    since: (header.since as string | null) ?? null,
    publicKeySha256: keySha256,
  }
}

function firstRecord(bytes: Buffer): Record<string, unknown> | null {
  const newline = bytes.indexOf(0x0a)
  try {
    return JSON.parse(bytes.subarray(0, newline < 0 ? bytes.length : newline).toString('utf8'))
  } catch {
    return null
  }
}
