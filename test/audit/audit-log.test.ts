import { appendFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import {
  appendAuditEvents,
  auditLogPath,
  readAuditLog,
  type AuditEventInput,
} from '../../main/audit/audit-log'
import { tempDir } from '../helpers/fixtures'

const created = (uid: string, at = '2025-03-01T10:00:00.000Z'): AuditEventInput => ({
  type: 'device.created',
  uid,
  boardId: 'esp32-devkitc',
  at,
})

describe('appendAuditEvents', () => {
  it('appends one JSON object per line to an owner-only audit.jsonl, time first', async () => {
    const dir = await tempDir()
    appendAuditEvents(dir, [created('pump-0001')])
    appendAuditEvents(
      dir,
      [{ type: 'mqtt.password_rotated', uid: 'pump-0001' }],
      new Date('2025-03-02T00:00:00Z'),
    )
    const text = await readFile(auditLogPath(dir), 'utf8')
    expect(text.split('\n')).toEqual([
      '{"at":"2025-03-01T10:00:00.000Z","type":"device.created","uid":"pump-0001","boardId":"esp32-devkitc"}',
      '{"at":"2025-03-02T00:00:00.000Z","type":"mqtt.password_rotated","uid":"pump-0001"}',
      '',
    ])
    expect((await stat(auditLogPath(dir))).mode & 0o777).toBe(0o600)
  })

  it('starts on a fresh line after a torn last line, so the entries before it stay readable', async () => {
    const dir = await tempDir()
    appendAuditEvents(dir, [created('pump-0001')])
    // A crash in the middle of a write leaves half a line without its newline.
    await appendFile(auditLogPath(dir), '{"at":"2025-03-01T10:05:00.000Z","type":"devi')
    appendAuditEvents(dir, [created('pump-0002')])

    const log = await readAuditLog(dir)
    expect(log.entries.map((e) => 'uid' in e && e.uid)).toEqual(['pump-0001', 'pump-0002'])
    expect(log.skippedLines).toEqual([2])
  })

  it('skips a torn line at the very end when reading', async () => {
    const dir = await tempDir()
    appendAuditEvents(dir, [created('pump-0001'), created('pump-0002')])
    await appendFile(auditLogPath(dir), '{"at":"2025-03-01')
    const log = await readAuditLog(dir)
    expect(log.entries).toHaveLength(2)
    expect(log.skippedLines).toEqual([3])
  })

  it('never writes a provisioning token or a named secret, whatever a caller passes', async () => {
    const dir = await tempDir()
    const token = 'ffpt_' + 'a'.repeat(52) + 'bcdefgh'
    appendAuditEvents(
      dir,
      [
        {
          type: 'operation.rejected',
          uid: 'pump-0001',
          operationId: 'op-1',
          fingerprint: 'abcd1234',
          approver: null,
          reason: `pasted ${token}`,
        },
        { type: 'site.saved', changed: ['hunter2-password'] },
      ],
      new Date(),
      ['hunter2-password'],
    )
    const text = await readFile(auditLogPath(dir), 'utf8')
    expect(text).not.toContain(token)
    expect(text).not.toContain('hunter2')
    expect(text).toContain('ffpt_[redacted]')
  })
})

describe('readAuditLog', () => {
  it('reads an absent log as empty', async () => {
    expect(await readAuditLog(await tempDir())).toEqual({ entries: [], skippedLines: [] })
  })

  it("filters one device's entries, oldest first", async () => {
    const dir = await tempDir()
    appendAuditEvents(dir, [
      created('pump-0001'),
      created('pump-0002'),
      { type: 'site.saved', changed: ['apiHost'] },
      { type: 'token.revoked', uid: 'pump-0001', fingerprint: '0a1b2c3d' },
    ])
    const log = await readAuditLog(dir, { uid: 'pump-0001' })
    expect(log.entries.map((e) => e.type)).toEqual(['device.created', 'token.revoked'])
  })

  it('skips lines that are JSON but not entries', async () => {
    const dir = await tempDir()
    await writeFile(auditLogPath(dir), '[1,2]\n{"type":"x"}\nnull\n')
    appendAuditEvents(dir, [created('pump-0001')])
    const log = await readAuditLog(dir)
    expect(log.entries).toHaveLength(1)
    expect(log.skippedLines).toEqual([1, 2, 3])
  })

  it('reports a log that cannot be read as io_error', async () => {
    const dir = await tempDir()
    await mkdir(auditLogPath(dir)) // a directory where the file should be: unreadable even for root
    await expect(readAuditLog(dir)).rejects.toMatchObject({ code: 'io_error' })
  })
})
