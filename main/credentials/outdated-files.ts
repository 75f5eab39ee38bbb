import { createHash } from 'node:crypto'
import { readFileSync, unlinkSync } from 'node:fs'
import type { StoreWriter } from '../store/store'

/** SHA-256 of a file, or null when it is gone or unreadable. */
function fileSha256(path: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex')
  } catch {
    return null
  }
}

/**
 * In the transaction that gives `uid` a new current token: removes the device's credential files
 * (template ZIPs, config partitions) that carry an older token, so such a file at its final path
 * always carries its device's current token. Only a file still exactly as FieldFlash wrote it is
 * removed; one the user replaced is left alone. Returns the paths removed.
 */
export async function removeOutdatedFiles(
  tx: StoreWriter,
  uid: string,
  currentFingerprint: string,
): Promise<string[]> {
  const removed: string[] = []
  for (const file of await tx.credentialFiles({ uid, state: 'final' })) {
    if (file.fingerprint === currentFingerprint) continue
    if (file.sha256 !== null && fileSha256(file.finalPath) === file.sha256) {
      unlinkSync(file.finalPath)
      removed.push(file.finalPath)
      await tx.audit([
        { type: 'file.removed', uid, fingerprint: file.fingerprint, path: file.finalPath },
      ])
    }
    await tx.deleteCredentialFile(file.id)
  }
  return removed
}
