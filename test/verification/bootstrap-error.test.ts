import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseBootstrapError } from '../../main/verification/bootstrap-error'
import { REPO_ROOT } from '../helpers/fixtures'

async function errorVectors(): Promise<{ uid: string; reason: string; line: string }[]> {
  const text = await readFile(join(REPO_ROOT, 'docs', 'protocol-vectors.tsv'), 'utf8')
  return text
    .split('\n')
    .filter((l) => l.startsWith('error_format\t'))
    .map((l) => {
      const [, uid, reason, line] = l.split('\t')
      return { uid: uid!, reason: reason!, line: line! }
    })
}

describe('parseBootstrapError', () => {
  it('reads every FFERR line of the protocol vectors, with or without a uid, also after CR and boot noise', async () => {
    const vectors = await errorVectors()
    expect(vectors.length).toBeGreaterThanOrEqual(5)
    for (const v of vectors) {
      for (const line of [v.line, `${v.line}\r`, `\xff\xfe?${v.line}`]) {
        expect(parseBootstrapError(line), line).toMatchObject({
          uid: v.uid === '' ? null : v.uid,
          reason: v.reason,
        })
      }
    }
  })

  it('explains each reason with the next step', () => {
    expect(parseBootstrapError('FFERR v=1 uid=dev_0001 reason=token_checksum')?.message).toMatch(
      /PROVISIONING_TOKEN \(checksum\).*mistyped/,
    )
    expect(parseBootstrapError('FFERR v=1 reason=uid')?.message).toMatch(/Device ID rule/)
    expect(parseBootstrapError('FFERR v=1 uid=dev_0001 reason=internal')?.message).toMatch(
      /firmware defect/,
    )
  })

  it('ignores lines that are not FFERR lines, or broken ones', () => {
    for (const line of [
      '',
      'FFBOOT v=1',
      'FFERR v=2 reason=uid',
      'FFERR v=1 reason=Bad-Reason',
      'FFERR v=1',
    ]) {
      expect(parseBootstrapError(line), line).toBeNull()
    }
  })
})
