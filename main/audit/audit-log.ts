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
export async function* auditEntries(
  store: FieldFlashStore,
  filter: { uid?: string } = {},
  pageSize = 1000,
): AsyncGenerator<AuditEntry> {
  let after = 0
  for (;;) {
    const page = await store.read((tx) =>
      tx.auditEntries({ uid: filter.uid, after, limit: pageSize }),
    )
    for (const entry of page) yield toEntry(entry)
    if (page.length < pageSize) return
    after = page.at(-1)!.seq
  }
}

/** The whole audit log (or one device's), oldest first. */
export async function readAuditLog(
  store: FieldFlashStore,
  filter: { uid?: string } = {},
): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = []
  for await (const entry of auditEntries(store, filter)) entries.push(entry)
  return entries
}
