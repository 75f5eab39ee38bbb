import { basename, dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SAMPLE_SITE_FLAGS, tempDir } from '../helpers/fixtures'
import { cli } from '../helpers/run-cli'
import { registryEnv } from '../helpers/engine'
import { filesUnder, runBatch, tokenInZip, type BatchResult } from './processes'

const SITE = SAMPLE_SITE_FLAGS

async function json<T>(dataDir: string, ...argv: string[]): Promise<T> {
  const run = await cli(dataDir, ...argv, '--json')
  expect(run.code, run.err).toBe(0)
  return JSON.parse(run.out) as T
}

interface DeviceJson {
  uid: string
  tokens: { fingerprint: string; state: string }[]
  currentToken: { fingerprint: string } | null
}

/**
 * The rule the registry keeps whatever happens: every template ZIP at its final path carries its
 * device's current token, and no temporary ZIP is left once the processes are gone.
 */
async function expectZipsCurrent(dataDir: string, outRoot: string): Promise<number> {
  const files = await filesUnder(outRoot)
  expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([])
  for (const zip of files) {
    const uid = basename(zip, '.zip')
    const device = await json<DeviceJson>(dataDir, 'device', 'show', uid)
    expect((await tokenInZip(zip)).fingerprint, `${zip} carries an outdated token`).toBe(
      device.currentToken?.fingerprint,
    )
  }
  return files.length
}

describe('many processes sharing one data directory', () => {
  it('lose nothing: every command that succeeded is in the registry, the audit log agrees, every ZIP is current', async () => {
    const dataDir = await tempDir('fieldflash-data-')
    const outRoot = await tempDir('fieldflash-out-')
    expect((await cli(dataDir, 'site', 'set', ...SITE)).code).toBe(0)
    expect(
      (await cli(dataDir, 'device', 'add', '--board', 'esp32-devkitc', '--uid', 'shared-0001'))
        .code,
    ).toBe(0)

    const env = await registryEnv(dataDir)
    const PROCESSES = 8
    const batches = Array.from({ length: PROCESSES }, (_, p) => {
      const commands: string[][] = []
      for (let k = 0; k < 4; k++) {
        const uid = `unit-${p}-${k}`
        const d = ['--data-dir', dataDir]
        commands.push(['device', 'add', '--board', 'esp32-devkitc', '--uid', uid, ...d])
        commands.push(['template', uid, '--out', join(outRoot, `p${p}`), '--json', ...d])
        if (k % 2 === 0) commands.push(['token', 'regenerate', uid, '--json', ...d])
        // Every process also fights over one device.
        commands.push([
          'template',
          'shared-0001',
          '--out',
          join(outRoot, `shared-${p}`),
          '--json',
          ...d,
        ])
        commands.push(['token', 'regenerate', 'shared-0001', '--json', ...d])
      }
      return runBatch(commands, env)
    })
    const results: BatchResult[] = (await Promise.all(batches.map((b) => b.done))).flatMap(
      (r) => r.results,
    )

    const adds = results.filter((r) => r.argv[0] === 'device' && r.argv[1] === 'add')
    expect(adds.filter((r) => r.code !== 0)).toEqual([])
    const listed = await json<{ uid: string }[]>(dataDir, 'device', 'list')
    expect(listed.map((d) => d.uid).sort()).toEqual(
      ['shared-0001', ...adds.map((r) => r.argv[5]!)].sort(),
    )
    const audit = (
      await json<{ entries: { type: string; uid?: string; fingerprint?: string }[] }>(
        dataDir,
        'audit',
      )
    ).entries
    expect(audit.filter((e) => e.type === 'device.created')).toHaveLength(listed.length)

    // Every token a successful command printed is in the registry: current, or superseded since.
    const minted = results.filter(
      (r) => r.code === 0 && (r.argv[0] === 'template' || r.argv[0] === 'token'),
    )
    expect(minted.length).toBeGreaterThan(PROCESSES * 4)
    for (const r of minted) {
      const uid = r.argv[0] === 'template' ? r.argv[1]! : r.argv[2]!
      const { fingerprint } = JSON.parse(r.out) as { fingerprint: string }
      const device = await json<DeviceJson>(dataDir, 'device', 'show', uid)
      const token = device.tokens.find((t) => t.fingerprint === fingerprint)
      expect(token?.state, `token ${fingerprint} of ${uid}`).toMatch(/^(issued|superseded)$/)
      expect(
        audit.filter((e) => e.type === 'token.minted' && e.fingerprint === fingerprint),
      ).toHaveLength(1)
    }
    // A template that lost the race for shared-0001 said so; none failed for any other reason.
    for (const r of results.filter((x) => x.code !== 0)) {
      expect(r.argv.slice(0, 2)).toEqual(['template', 'shared-0001'])
      expect(r.err).toMatch(/newer token|kept changing/)
    }
    await expectZipsCurrent(dataDir, outRoot)
    const shared = (await filesUnder(outRoot)).filter((f) => f.endsWith('shared-0001.zip'))
    expect(shared.length).toBeLessThanOrEqual(1)
    expect(await json<{ ok: boolean }>(dataDir, 'doctor')).toMatchObject({ ok: true })
  }, 120_000)
})

describe('a process killed at any point', () => {
  const POINTS = [
    'store:before-commit',
    'file:recorded',
    'file:written',
    'file:committed',
    'file:renamed',
  ]

  it.each(POINTS)(
    'killed at %s leaves a sound registry and only ZIPs with the current token',
    async (point) => {
      const dataDir = await tempDir('fieldflash-data-')
      const outRoot = await tempDir('fieldflash-out-')
      expect((await cli(dataDir, 'site', 'set', ...SITE)).code).toBe(0)
      expect(
        (await cli(dataDir, 'device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001'))
          .code,
      ).toBe(0)
      const out = join(outRoot, 'zips')
      const first = await json<{ zipPath: string; fingerprint: string }>(
        dataDir,
        'template',
        'pump-0001',
        '--out',
        out,
      )

      const killed = await runBatch(
        [['template', 'pump-0001', '--out', out, '--data-dir', dataDir]],
        { FIELDFLASH_CRASH_AT: point, ...(await registryEnv(dataDir)) },
      ).done
      expect(killed.signal).toBe('SIGKILL')
      expect(killed.results).toEqual([])

      // Before any other process starts: the old ZIP is either gone or still current.
      const device = await json<DeviceJson>(dataDir, 'device', 'show', 'pump-0001')
      const remaining = (await filesUnder(out)).filter((f) => f.endsWith('.zip'))
      for (const zip of remaining) {
        expect((await tokenInZip(zip)).fingerprint).toBe(device.currentToken?.fingerprint)
      }
      // `device show` opened the registry: the dead run's temporary ZIP is finished or gone.
      const count = await expectZipsCurrent(dataDir, outRoot)
      if (point === 'file:committed' || point === 'file:renamed') {
        expect(count).toBe(1) // the committed token's ZIP was moved into place
        expect(device.currentToken?.fingerprint).not.toBe(first.fingerprint)
      }
      if (point === 'store:before-commit') {
        expect(device.currentToken?.fingerprint).toBe(first.fingerprint)
      }
      expect(await json<{ ok: boolean }>(dataDir, 'doctor')).toMatchObject({ ok: true })
      expect(dirname(first.zipPath)).toBe(out)
    },
    60_000,
  )

  it.each([
    ['device add', ['device', 'add', '--board', 'esp32-devkitc', '--uid', 'tank-0002']],
    ['token regenerate', ['token', 'regenerate', 'pump-0001']],
  ])('killed inside the transaction of %s changes nothing', async (_name, argv) => {
    const dataDir = await tempDir('fieldflash-data-')
    expect((await cli(dataDir, 'site', 'set', ...SITE)).code).toBe(0)
    expect(
      (await cli(dataDir, 'device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001')).code,
    ).toBe(0)
    const before = await json<DeviceJson>(dataDir, 'device', 'show', 'pump-0001')
    const auditBefore = (await json<{ entries: unknown[] }>(dataDir, 'audit')).entries
    const killed = await runBatch([[...argv, '--data-dir', dataDir]], {
      FIELDFLASH_CRASH_AT: 'store:before-commit',
      ...(await registryEnv(dataDir)),
    }).done
    expect(killed.signal).toBe('SIGKILL')
    expect(await json<DeviceJson>(dataDir, 'device', 'show', 'pump-0001')).toEqual(before)
    expect((await json<{ uid: string }[]>(dataDir, 'device', 'list')).map((d) => d.uid)).toEqual([
      'pump-0001',
    ])
    expect((await json<{ entries: unknown[] }>(dataDir, 'audit')).entries).toEqual(auditBefore)
    expect(await json<{ ok: boolean }>(dataDir, 'doctor')).toMatchObject({ ok: true })
  })

  it('killed at random moments of adds, templates and regenerations, many times, stays sound', async () => {
    const dataDir = await tempDir('fieldflash-data-')
    const outRoot = await tempDir('fieldflash-out-')
    expect((await cli(dataDir, 'site', 'set', ...SITE)).code).toBe(0)
    const d = ['--data-dir', dataDir]
    for (let round = 0; round < 6; round++) {
      const commands: string[][] = []
      for (let k = 0; k < 20; k++) {
        const uid = `r${round}-${k}`
        commands.push(['device', 'add', '--board', 'esp32-devkitc', '--uid', uid, ...d])
        commands.push(['template', uid, '--out', join(outRoot, 'zips'), ...d])
        commands.push(['token', 'regenerate', uid, ...d])
        commands.push(['template', uid, '--out', join(outRoot, 'zips'), ...d])
      }
      const batch = runBatch(commands, await registryEnv(dataDir))
      // Kill after a random number of finished commands, then once more at a random instant.
      const after = 1 + Math.floor(Math.random() * 12)
      let seen = 0
      batch.onResult(() => {
        if (++seen === after) setTimeout(() => batch.kill('SIGKILL'), Math.random() * 40)
      })
      const { results } = await batch.done
      for (const r of results) expect(r.code, r.err).toBe(0)
      // The next command to open the data directory finishes or removes what the killed one left
      // (doctor on PostgreSQL checks the server, not this station's files: it comes after).
      const listed = new Set(
        (await json<{ uid: string }[]>(dataDir, 'device', 'list')).map((x) => x.uid),
      )
      expect(await json<{ ok: boolean }>(dataDir, 'doctor')).toMatchObject({ ok: true })
      await expectZipsCurrent(dataDir, outRoot)
      // Every device whose add reported success is there.
      for (const r of results.filter((x) => x.argv[1] === 'add'))
        expect(listed.has(r.argv[5]!)).toBe(true)
    }
  }, 180_000)
})
