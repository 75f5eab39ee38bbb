import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/fixtures'
import { cli } from '../helpers/run-cli'
import { runBatch } from './processes'

// The data file of an earlier FieldFlash (fieldflash.json) lives beside the SQLite registry it is
// imported into: a data directory's own registry only.

describe('an earlier data file opened by several processes at once', () => {
  it('is imported exactly once', async () => {
    const dataDir = await tempDir('fieldflash-data-')
    const devices: Record<string, unknown> = {}
    for (let i = 0; i < 50; i++) {
      const uid = `old-${String(i).padStart(4, '0')}`
      devices[uid] = {
        uid,
        boardId: 'esp32-devkitc',
        createdAt: '2025-03-01T08:00:00.000Z',
        mqtt: {
          username: `dev-${uid}`,
          password: `pw-${i}`,
          passwordSetAt: '2025-03-01T08:00:00.000Z',
        },
        tokens: [],
        flashes: [],
        operations: [],
        approvedAt: null,
      }
    }
    await writeFile(
      join(dataDir, 'fieldflash.json'),
      JSON.stringify({ schemaVersion: 1, site: null, devices }),
      { mode: 0o600 },
    )
    const runs = await Promise.all(
      Array.from(
        { length: 4 },
        () => runBatch([['device', 'list', '--json', '--data-dir', dataDir]]).done,
      ),
    )
    for (const { results } of runs) {
      expect(results[0]!.code, results[0]!.err).toBe(0)
      expect(JSON.parse(results[0]!.out)).toHaveLength(50)
    }
    const run = await cli(dataDir, 'audit', '--json')
    const audit = (JSON.parse(run.out) as { entries: { type: string }[] }).entries
    expect(audit.filter((e) => e.type === 'store.imported')).toHaveLength(1)
    expect(await readdir(dataDir)).not.toContain('fieldflash.json')
  }, 60_000)
})
