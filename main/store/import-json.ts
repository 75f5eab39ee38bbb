import { createHash } from 'node:crypto'
import { readFileSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { FieldFlashError } from '../shared/errors'
import { DEFAULT_REGISTRATION_LIFETIME_DAYS, type DeviceRecord } from './records'
import type { FieldFlashStore } from './store'

/** The data file of FieldFlash before the SQLite registry, and its audit log. */
export const LEGACY_JSON_FILE = 'fieldflash.json'
export const LEGACY_AUDIT_FILE = 'audit.jsonl'

const text = z.string()
const legacyToken = z.object({
  fingerprint: text,
  hash: text,
  expectedCode: text,
  state: z.enum(['issued', 'superseded', 'consumed', 'revoked', 'expired']),
  issuedAt: text,
  expiresAt: text,
  endedAt: text.nullable(),
  origin: z.enum(['template', 'regenerate']),
})
const legacyDevice = z.object({
  uid: text,
  boardId: text,
  createdAt: text,
  mqtt: z.object({ username: text, password: text, passwordSetAt: text }),
  tokens: z.array(legacyToken),
  flashes: z
    .array(
      z.object({
        at: text,
        port: text,
        chip: text,
        mac: text,
        flashSize: text,
        firmwareName: text,
        firmwareSha256: text,
        parts: z.array(z.object({ offset: z.number(), size: z.number(), md5: text })),
      }),
    )
    .default([]),
  operations: z
    .array(
      z.object({
        id: text,
        fingerprint: text,
        code: text,
        mac: text,
        port: text,
        firstSeenAt: text,
        classification: text,
        state: z.enum(['pending', 'approved', 'rejected']),
        decidedAt: text.nullable(),
        approver: text.nullable(),
        reason: text.nullable().optional(),
      }),
    )
    .default([]),
  approvedAt: text.nullable().default(null),
})
const legacyDocument = z.object({
  schemaVersion: z.literal(1),
  site: z
    .object({
      platformKey: text,
      apiHost: text,
      mqttHost: text,
      mqttPort: z.number().int(),
      otaBaseUrl: text,
      tokenLifetimeHours: z.number().int().default(168),
    })
    .nullable(),
  devices: z.record(text, legacyDevice),
})

const IMPORTED_KEY = 'legacy_json_sha256'

/**
 * Imports a `fieldflash.json` of an earlier FieldFlash, once, in one transaction: every device,
 * token, flash and operation, and the old `audit.jsonl`; the counts are checked before the commit.
 * Then both files are renamed aside as backups (never deleted). Concurrent openers serialise on the
 * write lock, and the one that comes second finds the import recorded. A file that cannot be
 * imported is left in place and reported. Returns a notice for the user, or null.
 */
export async function importLegacyJson(
  store: FieldFlashStore,
  dataDir: string,
  now: Date,
): Promise<string | null> {
  const jsonPath = join(dataDir, LEGACY_JSON_FILE)
  let raw: Buffer
  try {
    raw = readFileSync(jsonPath)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
  const sha256 = createHash('sha256').update(raw).digest('hex')
  const stamp = now.toISOString().replace(/[:.]/g, '-')
  const outcome = await store.write(async (tx) => {
    const imported = await tx.getMeta(IMPORTED_KEY)
    if (imported !== null) return imported === sha256 ? 'already' : 'changed'
    const document = parseLegacy(raw, jsonPath)
    if (document.site) {
      await tx.saveSite({
        ...document.site,
        registrationLifetimeDays: DEFAULT_REGISTRATION_LIFETIME_DAYS,
        wifi: null,
      })
    }
    const devices = Object.values(document.devices)
    let tokens = 0
    let operations = 0
    let flashes = 0
    for (const device of devices) {
      await tx.insertDevice({ ...(device as DeviceRecord), registrations: [] })
      tokens += device.tokens.length
      operations += device.operations.length
      flashes += device.flashes.length
    }
    const auditLines = await importLegacyAudit(dataDir, tx.audit)
    const counted = await tx.counts()
    if (
      counted.devices !== devices.length ||
      counted.tokens !== tokens ||
      counted.operations !== operations ||
      counted.flashes !== flashes
    ) {
      throw new FieldFlashError(
        'store_corrupt',
        `${jsonPath} could not be imported completely (${devices.length} devices, ${tokens} tokens, ${operations} operations, ${flashes} flashes expected; ${counted.devices}, ${counted.tokens}, ${counted.operations}, ${counted.flashes} imported). Nothing was imported; the file was left as it is.`,
      )
    }
    await tx.setMeta(IMPORTED_KEY, sha256)
    await tx.audit([
      {
        type: 'store.imported',
        from: LEGACY_JSON_FILE,
        devices: devices.length,
        tokens,
        operations,
        flashes,
        auditEntries: auditLines.imported,
        at: now.toISOString(),
      },
    ])
    return { devices: devices.length, tokens, operations, ...auditLines }
  })
  if (outcome === 'already') {
    // Imported by a process that stopped before renaming it: finish the job.
    renameAside(dataDir, stamp, 'imported')
    return null
  }
  if (outcome === 'changed') {
    renameSync(jsonPath, `${jsonPath}.not-imported-${stamp}`)
    return `${jsonPath} was changed after its data was imported into ${store.path}; it was not imported again and was renamed to ${LEGACY_JSON_FILE}.not-imported-${stamp}.`
  }
  const aside = renameAside(dataDir, stamp, 'imported')
  const skipped =
    outcome.skipped > 0 ? ` ${outcome.skipped} unreadable audit line(s) were skipped.` : ''
  return `Imported ${outcome.devices} device(s), ${outcome.tokens} token(s), ${outcome.operations} operation(s) and ${outcome.imported} audit entries from ${jsonPath} into ${store.path}; the old file is kept as ${aside}.${skipped}`
}

function parseLegacy(raw: Buffer, path: string): z.infer<typeof legacyDocument> {
  let value: unknown
  try {
    value = JSON.parse(raw.toString('utf8'))
  } catch {
    throw legacyError(path, 'it is not valid JSON')
  }
  if (typeof value === 'object' && value !== null)
    delete (value as Record<string, unknown>).__internal__
  const parsed = legacyDocument.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    // The path names the record; the value is never echoed (it may be a password).
    throw legacyError(path, `${issue.path.join('.') || 'the document'}: ${issue.message}`)
  }
  for (const [key, device] of Object.entries(parsed.data.devices)) {
    if (key !== device.uid) throw legacyError(path, `devices.${key}: the record's uid differs`)
  }
  return parsed.data
}

function legacyError(path: string, why: string): FieldFlashError {
  return new FieldFlashError(
    'store_corrupt',
    `${path} (the data file of an earlier FieldFlash) cannot be imported: ${why}. It was left as it is and nothing was imported; repair it or move it out of the data directory, then try again.`,
  )
}

async function importLegacyAudit(
  dataDir: string,
  audit: (events: { type: string; at?: string }[]) => Promise<void>,
): Promise<{ imported: number; skipped: number }> {
  let text: string
  try {
    text = readFileSync(join(dataDir, LEGACY_AUDIT_FILE), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { imported: 0, skipped: 0 }
    throw error
  }
  const events: { type: string; at: string }[] = []
  let skipped = 0
  for (const line of text.split('\n')) {
    if (line === '') continue
    try {
      const value = JSON.parse(line) as Record<string, unknown>
      if (typeof value.at === 'string' && typeof value.type === 'string') {
        events.push(value as { type: string; at: string })
        continue
      }
    } catch {
      // a line torn by a crash: counted below
    }
    skipped++
  }
  await audit(events)
  return { imported: events.length, skipped }
}

function renameAside(dataDir: string, stamp: string, label: string): string {
  const aside = `${LEGACY_JSON_FILE}.${label}-${stamp}`
  for (const [name, target] of [
    [LEGACY_JSON_FILE, aside],
    [LEGACY_AUDIT_FILE, `${LEGACY_AUDIT_FILE}.${label}-${stamp}`],
  ] as const) {
    try {
      renameSync(join(dataDir, name), join(dataDir, target))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
  return aside
}
