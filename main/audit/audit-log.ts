import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FieldFlashError } from '../shared/errors'
import type { AuditEntry, AuditEventInput } from './audit-events'

export type { AuditEntry, AuditEvent, AuditEventInput, AuditEventType } from './audit-events'

/** The audit log's file name inside the data directory. */
export const AUDIT_FILE = 'audit.jsonl'

/** Where the audit log of a data directory lives. */
export function auditLogPath(dataDir: string): string {
  return join(dataDir, AUDIT_FILE)
}

/** A provisioning token anywhere in a value: never written, whatever a caller passed by mistake. */
const TOKEN_PATTERN = /ffpt_[0-9a-z]{8,}/gi

/**
 * Appends events to `<dataDir>/audit.jsonl`, one JSON object per line, in a single write followed
 * by fsync. If the file does not end with a newline (a crash tore the last line), the new lines
 * start on a fresh line so the torn one stays isolated and everything before it stays intact.
 * `secrets` are strings that must never reach the log (for example the device's MQTT password);
 * any value containing one is replaced by "[redacted]".
 */
export function appendAuditEvents(
  dataDir: string,
  events: readonly AuditEventInput[],
  now: Date = new Date(),
  secrets: readonly string[] = [],
): AuditEntry[] {
  if (events.length === 0) return []
  const fallbackAt = now.toISOString()
  const entries = events.map((event) => redact(toEntry(event, fallbackAt), secrets))
  const text = entries.map((entry) => JSON.stringify(entry) + '\n').join('')
  const fd = openSync(auditLogPath(dataDir), 'a+', 0o600)
  try {
    const size = fstatSync(fd).size
    let prefix = ''
    if (size > 0) {
      const last = Buffer.alloc(1)
      readSync(fd, last, 0, 1, size - 1)
      if (last[0] !== 0x0a) prefix = '\n'
    }
    writeSync(fd, prefix + text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  return entries
}

function toEntry(event: AuditEventInput, fallbackAt: string): AuditEntry {
  const { at, ...rest } = event
  return { at: at ?? fallbackAt, ...rest } as AuditEntry
}

function redact(entry: AuditEntry, secrets: readonly string[]): AuditEntry {
  const clean = (value: unknown): unknown => {
    if (typeof value === 'string') {
      if (secrets.some((s) => s.length > 0 && value.includes(s))) return '[redacted]'
      return value.replace(TOKEN_PATTERN, 'ffpt_[redacted]')
    }
    if (Array.isArray(value)) return value.map(clean)
    return value
  }
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(entry)) out[key] = clean(value)
  return out as AuditEntry
}

export interface AuditLogRead {
  /** Oldest first. */
  entries: AuditEntry[]
  /** 1-based line numbers that could not be read (a torn last line after a crash, for example). */
  skippedLines: number[]
}

/** Reads the audit log, optionally only one device's entries. A missing log reads as empty. */
export async function readAuditLog(
  dataDir: string,
  filter: { uid?: string } = {},
): Promise<AuditLogRead> {
  let text: string
  try {
    text = await readFile(auditLogPath(dataDir), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], skippedLines: [] }
    throw new FieldFlashError(
      'io_error',
      `Cannot read the audit log ${auditLogPath(dataDir)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}. Check its permissions.`,
      undefined,
      { cause: error },
    )
  }
  const entries: AuditEntry[] = []
  const skippedLines: number[] = []
  const lines = text.split('\n')
  lines.forEach((line, index) => {
    if (line === '') return
    const entry = parseEntry(line)
    if (!entry) {
      skippedLines.push(index + 1)
      return
    }
    if (filter.uid === undefined || ('uid' in entry && entry.uid === filter.uid))
      entries.push(entry)
  })
  return { entries, skippedLines }
}

function parseEntry(line: string): AuditEntry | null {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const record = value as Record<string, unknown>
  if (typeof record.at !== 'string' || typeof record.type !== 'string') return null
  return record as unknown as AuditEntry
}
