import { hostname } from 'node:os'
import { symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/fixtures'
import { cli } from '../helpers/run-cli'

async function listed(
  dataDir: string,
): Promise<{ uid: string; boardId: string; status: string }[]> {
  const run = await cli(dataDir, 'device', 'list', '--json')
  expect(run.code, run.err).toBe(0)
  return JSON.parse(run.out)
}

describe('fieldflash device import', () => {
  it('creates every UID of a plain list for the board given, each with its own credentials', async () => {
    const dataDir = await tempDir()
    const file = join(await tempDir(), 'lot-42.txt')
    await writeFile(file, 'SN-0001\nSN-0002\n\nSN-0003\n')
    const run = await cli(dataDir, 'device', 'import', file, '--board', 'esp32-devkitc')
    expect(run.code, run.err).toBe(0)
    expect(run.out).toContain('Imported 3 device(s)')
    expect((await listed(dataDir)).map((d) => [d.uid, d.boardId, d.status])).toEqual([
      ['SN-0001', 'esp32-devkitc', 'new'],
      ['SN-0002', 'esp32-devkitc', 'new'],
      ['SN-0003', 'esp32-devkitc', 'new'],
    ])
  })

  it('reads a CSV with a uid column, an optional board column and other columns ignored', async () => {
    const dataDir = await tempDir()
    const file = join(await tempDir(), 'lot.csv')
    await writeFile(
      file,
      '\uFEFFserial,uid,board,note\n1,pump-0001,esp32-c3-devkitm-1,"roof, north"\n2,pump-0002,,\n',
    )
    const run = await cli(dataDir, 'device', 'import', file, '--board', 'esp32-devkitc', '--json')
    expect(run.code, run.err).toBe(0)
    expect(JSON.parse(run.out)).toEqual({
      created: 2,
      boards: { 'esp32-c3-devkitm-1': 1, 'esp32-devkitc': 1 },
    })
    expect((await listed(dataDir)).map((d) => d.boardId)).toEqual([
      'esp32-c3-devkitm-1',
      'esp32-devkitc',
    ])
  })

  it.each([
    ['a bad UID', 'SN-0001\nno way\n', /line 2: uid must be 4–90 characters/, 2],
    [
      'a UID listed twice',
      'SN-0001\nSN-0002\nSN-0001\n',
      /line 3: uid SN-0001 is listed twice \(first on line 1\)/,
      2,
    ],
    [
      'an unknown board',
      'uid,board\nSN-0001,esp32-devkitc\nSN-0002,uno\n',
      /board: line 3: "uno" is not a board/,
      2,
    ],
  ])(
    'imports nothing when the file has %s, naming the line',
    async (_what, text, message, code) => {
      const dataDir = await tempDir()
      const file = join(await tempDir(), 'lot.csv')
      await writeFile(file, text)
      const run = await cli(dataDir, 'device', 'import', file, '--board', 'esp32-devkitc')
      expect(run.code).toBe(code)
      expect(run.err).toMatch(message)
      expect(await listed(dataDir)).toEqual([])
    },
  )

  it('imports nothing when one UID already exists', async () => {
    const dataDir = await tempDir()
    expect(
      (await cli(dataDir, 'device', 'add', '--board', 'esp32-devkitc', '--uid', 'SN-0002')).code,
    ).toBe(0)
    const file = join(await tempDir(), 'lot.txt')
    await writeFile(file, 'SN-0001\nSN-0002\nSN-0003\n')
    const run = await cli(dataDir, 'device', 'import', file, '--board', 'esp32-devkitc')
    expect(run.code).toBe(2)
    expect(run.err).toMatch(/line 2: .*SN-0002 already exists.*nothing was imported/)
    expect((await listed(dataDir)).map((d) => d.uid)).toEqual(['SN-0002'])
  })

  it('asks for a board when neither the row nor --board names one', async () => {
    const dataDir = await tempDir()
    const file = join(await tempDir(), 'lot.txt')
    await writeFile(file, 'SN-0001\n')
    const run = await cli(dataDir, 'device', 'import', file)
    expect(run.code).toBe(2)
    expect(run.err).toMatch(/board: line 1: no board given/)
  })
})

describe('fieldflash device show and list', () => {
  it('show the status with the flashes and operations, in text and JSON', async () => {
    const dataDir = await tempDir()
    await cli(dataDir, 'device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001')
    const text = await cli(dataDir, 'device', 'show', 'pump-0001')
    expect(text.out).toMatch(/status: +new/)
    expect(text.out).toMatch(/flashes \(oldest first\):\n {2}none yet/)
    expect(text.out).toMatch(/provisioning operations \(oldest first\):\n {2}none yet/)
    const json = JSON.parse((await cli(dataDir, 'device', 'show', 'pump-0001', '--json')).out)
    expect(json).toMatchObject({ uid: 'pump-0001', status: 'new', flashes: [], operations: [] })
    expect(JSON.stringify(json)).not.toMatch(/password"/)
  })

  it('list prints an empty JSON array when there are no devices', async () => {
    expect(await listed(await tempDir())).toEqual([])
  })
})

describe('fieldflash doctor', () => {
  it('passes on a sound registry', async () => {
    const dataDir = await tempDir()
    await cli(dataDir, 'device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001')
    const run = await cli(dataDir, 'doctor', '--json')
    expect(run.code).toBe(0)
    expect(JSON.parse(run.out)).toMatchObject({ ok: true, devices: 1, problems: [] })
  })

  it('refuses a data directory whose database is a symbolic link, saying what to do', async () => {
    const dataDir = await tempDir()
    await symlink('/etc/passwd', join(dataDir, 'fieldflash.db'))
    const run = await cli(dataDir, 'doctor')
    expect(run.code).toBe(1)
    expect(run.err).toMatch(/fieldflash\.db is a symbolic link; FieldFlash never follows links/)
  })
})

describe('fieldflash registry station-name', () => {
  it('names the station in every audit entry, the host name until set, and refuses a bad name', async () => {
    const dataDir = await tempDir()
    expect(JSON.parse((await cli(dataDir, 'registry', 'station-name', '--json')).out)).toEqual({
      station: hostname(),
      dataDir,
    })
    await cli(dataDir, 'device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001')
    const set = await cli(dataDir, 'registry', 'station-name', 'line-2.bench_3')
    expect(set.code, set.err).toBe(0)
    await cli(dataDir, 'token', 'regenerate', 'pump-0001')
    const entries = JSON.parse((await cli(dataDir, 'audit', '--json')).out).entries as {
      type: string
      station: string
    }[]
    expect(entries.map((e) => [e.type, e.station])).toEqual([
      ['device.created', hostname()],
      ['token.minted', 'line-2.bench_3'],
    ])
    const bad = await cli(dataDir, 'registry', 'station-name', 'line 2; rm -rf')
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/must be 1–64 letters, digits, dots, dashes or underscores/)
    expect(JSON.parse((await cli(dataDir, 'registry', 'station-name', '--json')).out).station).toBe(
      'line-2.bench_3',
    )
  })
})
