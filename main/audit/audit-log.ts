import type { FieldFlashStore, StoredAuditEntry } from '../store/store'
import type { AuditEntry } from './audit-events'

export type { AuditEntry, AuditEvent, AuditEventInput, AuditEventType } from './audit-events'

// The audit log lives in the registry's database: every change writes its events in the same
// transaction, so the log and the records can never disagree, and it is append-only (triggers
// refuse updates and deletes).

function toEntry({ seq: _seq, ...entry }: StoredAuditEntry): AuditEntry {
  return entry as unknown as AuditEntry
}

/** The audit log, oldest first, page by page (optionally one device's entries only). */
export function* auditEntries(
  store: FieldFlashStore,
  filter: { uid?: string } = {},
  pageSize = 1000,
): Generator<AuditEntry> {
  let after = 0
  for (;;) {
    const page = store.read((tx) => tx.auditEntries({ uid: filter.uid, after, limit: pageSize }))
    for (const entry of page) yield toEntry(entry)
    if (page.length < pageSize) return
    after = page.at(-1)!.seq
  }
}

/** The whole audit log (or one device's), oldest first. */
export function readAuditLog(store: FieldFlashStore, filter: { uid?: string } = {}): AuditEntry[] {
  return [...auditEntries(store, filter)]
}
