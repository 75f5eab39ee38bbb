import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, copyFile, readdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { postgresAt } from '../../devkit/postgres'
import { freePort } from '../../devkit/free-port'
import { REPO_ROOT, SAMPLE_SITE_FLAGS, tempDir } from '../helpers/fixtures'
import { cliRaw, type CliRun } from '../helpers/run-cli'
import { runBatch, type BatchResult } from '../store/processes'
import { MAC_A, MAC_B } from '../verification/helpers'
import { buildBoardFromZip, runOnPty } from '../verification/zip-board'

// Several stations, one PostgreSQL registry: each station its own data directory (its own name,
// its own files), all pointing at one database, each command in a process of its own. What the
// registry promises a factory floor holds across them: a UID created once, a one-time token
// approved once, the newest token current wherever it was minted, a revocation seen at once, and
// every change in the audit log naming its station.

const stops: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop()
})

/** A new database on the postgres project's cluster (postgres-setup.ts). */
async function sharedDatabase(): Promise<string> {
  const port = Number(process.env.FIELDFLASH_TEST_PG_PORT)
  if (!port) throw new Error('run in the postgres project (vitest.config.ts)')
  return postgresAt(port).database()
}

interface Station {
  name: string
  dataDir: string
  /** `fieldflash <argv>` at this station, in this process. */
  cli(...argv: string[]): Promise<CliRun>
  /** `fieldflash <argv>` at this station, in a process of its own. */
  spawn(...argv: string[]): Promise<CliRun>
  /** The options every command of this station takes. */
  options: string[]
}

async function station(name: string, url: string): Promise<Station> {
  const dataDir = await tempDir(`fieldflash-${name}-`)
  const options = ['--data-dir', dataDir, '--database', url]
  const named = await cliRaw('registry', 'station-name', name, '--data-dir', dataDir)
  expect(named.code, named.err).toBe(0)
  return {
    name,
    dataDir,
    options,
    cli: (...argv) => cliRaw(...argv, ...options),
    spawn: (...argv) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, ['bin/fieldflash.js', ...argv, ...options], {
          cwd: REPO_ROOT,
          env: { PATH: process.env.PATH },
        })
        let out = ''
        let err = ''
        child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t))
        child.stderr.setEncoding('utf8').on('data', (t: string) => (err += t))
        child.once('close', (code) => resolve({ code: code ?? -1, out, err }))
      }),
  }
}

/** Two stations on a fresh shared registry with the site set; the second holds the first's key. */
async function twoStations(): Promise<[Station, Station, string]> {
  const url = await sharedDatabase()
  const a = await station('station-a', url)
  expect((await a.cli('site', 'set', ...SAMPLE_SITE_FLAGS)).code).toBe(0)
  const b = await station('station-b', url)
  await shareKey(a, b)
  return [a, b, url]
}

/** Copies the site's registry key from one station to another, as an operator would. */
async function shareKey(from: Station, to: Station): Promise<void> {
  if (existsSync(join(to.dataDir, 'registry-key'))) await unlink(join(to.dataDir, 'registry-key'))
  await copyFile(join(from.dataDir, 'registry-key'), join(to.dataDir, 'registry-key'))
  await chmod(join(to.dataDir, 'registry-key'), 0o600)
}

function json<T>(run: CliRun): T {
  expect(run.code, run.err).toBe(0)
  return JSON.parse(run.out) as T
}

describe('several stations on one PostgreSQL registry', () => {
  it('create a UID once, whichever of 16 processes at 4 stations asks for it first', async () => {
    const url = await sharedDatabase()
    const stations = await Promise.all(
      ['s1', 's2', 's3', 's4'].map((name) => station(`station-${name}`, url)),
    )
    // The first station to use the database gives it its key; the others get a copy of it.
    expect((await stations[0]!.cli('site', 'set', ...SAMPLE_SITE_FLAGS)).code).toBe(0)
    for (const other of stations.slice(1)) await shareKey(stations[0]!, other)
    const uids = Array.from({ length: 12 }, (_, i) => `unit-${String(i).padStart(3, '0')}`)
    // Four processes per station, each adding the same twelve UIDs in its own order.
    const batches = stations.flatMap((s) =>
      Array.from({ length: 4 }, (_, p) =>
        runBatch(
          [...uids.slice(p * 3), ...uids.slice(0, p * 3)].map((uid) => [
            'device',
            'add',
            '--board',
            'esp32-devkitc',
            '--uid',
            uid,
            '--json',
            ...s.options,
          ]),
        ),
      ),
    )
    const results: BatchResult[] = (await Promise.all(batches.map((b) => b.done))).flatMap(
      (r) => r.results,
    )
    expect(results).toHaveLength(16 * 12)
    for (const uid of uids) {
      const tries = results.filter((r) => r.argv[5] === uid)
      expect(
        tries.filter((r) => r.code === 0),
        uid,
      ).toHaveLength(1)
      for (const refused of tries.filter((r) => r.code !== 0)) {
        expect(refused.code, refused.err).toBe(2)
        expect(refused.err).toContain(`a device with UID ${uid} already exists`)
      }
    }
    const listed = json<{ uid: string }[]>(await stations[0]!.cli('device', 'list', '--json'))
    expect(listed.map((d) => d.uid).sort()).toEqual(uids)
    const audit = json<{ entries: { type: string; uid?: string; station?: string }[] }>(
      await stations[3]!.cli('audit', '--json'),
    ).entries.filter((e) => e.type === 'device.created')
    expect(audit.map((e) => e.uid).sort()).toEqual(uids)
    // Each creation names the station whose process made it.
    const creators = new Map(
      results.filter((r) => r.code === 0).map((r) => [r.argv[5], r.argv.at(-3)]),
    )
    for (const entry of audit) {
      const dataDir = creators.get(entry.uid!)
      expect(entry.station).toBe(stations.find((s) => s.dataDir === dataDir)!.name)
    }
  }, 120_000)

  it('keep the newest token current wherever it was minted, and name the station in the log', async () => {
    const [a, b] = await twoStations()
    expect(
      (await a.cli('device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001')).code,
    ).toBe(0)
    const fromA = json<{ fingerprint: string }>(
      await a.spawn('template', 'pump-0001', '--out', await tempDir(), '--json'),
    )
    const fromB = json<{ fingerprint: string }>(
      await b.spawn('token', 'regenerate', 'pump-0001', '--json'),
    )
    const seenAtA = json<{
      currentToken: { fingerprint: string }
      tokens: { fingerprint: string; state: string }[]
    }>(await a.cli('device', 'show', 'pump-0001', '--json'))
    expect(seenAtA.currentToken.fingerprint).toBe(fromB.fingerprint)
    expect(seenAtA.tokens.find((t) => t.fingerprint === fromA.fingerprint)?.state).toBe(
      'superseded',
    )
    const entries = json<{ entries: { type: string; station?: string }[] }>(
      await b.cli('audit', '--device', 'pump-0001', '--json'),
    ).entries
    expect(entries.map((e) => [e.type, e.station])).toEqual([
      ['device.created', 'station-a'],
      ['token.minted', 'station-a'],
      ['token.superseded', 'station-b'],
      ['token.minted', 'station-b'],
    ])
    // Each station's text log says who did what, too.
    expect((await a.cli('audit')).out).toMatch(/station-b +token\.minted +uid=pump-0001/)
  }, 60_000)

  it('approve a one-time token once, when two stations verify boards carrying it at the same moment; a revocation at one is seen by the next verify at the other', async () => {
    const [a, b] = await twoStations()
    expect(
      (await a.cli('device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001')).code,
    ).toBe(0)
    const zip = json<{ zipPath: string }>(
      await a.cli('template', 'pump-0001', '--out', await tempDir(), '--json'),
    )
    const firmware = await buildBoardFromZip(zip.zipPath)
    stops.push(() => firmware.remove())
    // Two boards flashed from the same template (the token is one-time: only one may pass).
    const ports = await Promise.all(
      [MAC_A, MAC_B].map(async (mac) => {
        const pty = await runOnPty(firmware, mac)
        stops.push(pty.stop)
        return pty.path
      }),
    )
    const verify = (s: Station, port: string, ...more: string[]) =>
      s.spawn('verify', '--port', port, '--device', 'pump-0001', '--timeout', '20', ...more)
    const [atA, atB] = await Promise.all([
      verify(a, ports[0]!, '--approve', '--approver', 'Alice', '--no-register', '--json'),
      verify(b, ports[1]!, '--approve', '--approver', 'Bob', '--no-register', '--json'),
    ])
    const outcomes = [atA, atB].map((run) => ({ run, report: JSON.parse(run.out) }))
    const approved = outcomes.filter((o) => o.run.code === 0)
    expect(approved, JSON.stringify(outcomes.map((o) => o.run))).toHaveLength(1)
    expect(approved[0]!.report).toMatchObject({ approved: true })
    const refused = outcomes.find((o) => o.run.code !== 0)!
    expect(refused.run.code).toBe(3)
    expect(refused.report.approved).toBeFalsy()
    const device = json<{
      tokens: { state: string }[]
      operations: { state: string; approver: string | null }[]
    }>(await b.cli('device', 'show', 'pump-0001', '--json'))
    expect(device.tokens.at(-1)!.state).toBe('consumed')
    expect(device.operations.filter((op) => op.state === 'approved')).toHaveLength(1)

    // A fresh token, revoked at one station: the other's next verify says so.
    const next = json<{ zipPath: string }>(
      await b.cli('template', 'pump-0001', '--out', await tempDir(), '--json'),
    )
    const reflashed = await buildBoardFromZip(next.zipPath)
    stops.push(() => reflashed.remove())
    const pty = await runOnPty(reflashed, MAC_A)
    stops.push(pty.stop)
    expect((await b.spawn('token', 'revoke', 'pump-0001')).code).toBe(0)
    const afterRevoke = await verify(a, pty.path, '--json')
    expect(afterRevoke.code, afterRevoke.out + afterRevoke.err).toBe(3)
    expect(JSON.parse(afterRevoke.out)).toMatchObject({ outcome: 'revoked' })
  }, 120_000)

  it('let a station without the registry key do all but render credentials, and say so', async () => {
    const [a] = await twoStations()
    expect(
      (await a.cli('device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001')).code,
    ).toBe(0)
    const keyless = await station('station-c', a.options[3]!)
    await unlink(join(keyless.dataDir, 'registry-key')).catch(() => undefined)
    const listed = await keyless.cli('device', 'list', '--json')
    expect(listed.code, listed.err).toBe(0)
    expect(listed.err).toMatch(/holds no registry key/)
    expect(JSON.parse(listed.out).map((d: { uid: string }) => d.uid)).toEqual(['pump-0001'])
    const out = await tempDir()
    const template = await keyless.cli('template', 'pump-0001', '--out', out)
    expect(template.code).toBe(1)
    expect(template.err).toMatch(/cannot open pump-0001's MQTT password.*registry-key/)
    expect(await readdir(out)).toEqual([])
    // Its token is as it was: nothing was minted.
    const shown = json<{ tokens: unknown[] }>(await a.cli('device', 'show', 'pump-0001', '--json'))
    expect(shown.tokens).toHaveLength(0)
    // It seals new secrets with the registry's public key: it adds devices and mints tokens, and
    // a station with the key renders them.
    const add = await keyless.cli('device', 'add', '--board', 'esp32-devkitc', '--uid', 'tank-0002')
    expect(add.code, add.err).toBe(0)
    expect((await keyless.cli('token', 'regenerate', 'tank-0002')).code).toBe(0)
    const rendered = await a.cli('template', 'tank-0002', '--out', out)
    expect(rendered.code, rendered.err).toBe(0)
    expect(await readdir(out)).toEqual(['tank-0002.zip'])
  }, 60_000)

  it('fail closed when the server cannot be reached: nothing minted, nothing written', async () => {
    const [a, , url] = await twoStations()
    expect(
      (await a.cli('device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001')).code,
    ).toBe(0)
    const gone = `postgres://fieldflash:s3cret@127.0.0.1:${await freePort()}/fieldflash`
    const out = await tempDir()
    const run = await cliRaw(
      'template',
      'pump-0001',
      '--out',
      out,
      '--data-dir',
      a.dataDir,
      '--database',
      gone,
    )
    expect(run.code).toBe(1)
    expect(run.err).toMatch(/Cannot use the registry database postgres:\/\/fieldflash:\*\*\*@/)
    expect(run.err).not.toContain('s3cret')
    expect(await readdir(out)).toEqual([])
    const shown = await cliRaw('device', 'show', 'pump-0001', '--json', ...a.options)
    expect(JSON.parse(shown.out).tokens).toHaveLength(0)
    expect(url).toContain('postgres://')
  }, 60_000)
})
