import { open } from 'node:fs/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { openSerialMonitor } from '../../main/monitor/serial-monitor'
import { formatBootstrapBanner } from '../../main/verification/bootstrap-banner'
import {
  verifyOnPort,
  watchBootstrap,
  type BootstrapEvent,
} from '../../main/verification/verification-session'
import { tempDir } from '../helpers/fixtures'
import { startPtyPair } from '../../devkit/pty'
import { at, bannerFor, deviceWithTokens } from './helpers'
import { until } from '../helpers/wait'
import { holdWriteLock } from '../helpers/write-lock'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A pty pair: the monitor side and a writer playing the board. */
async function board() {
  const pair = await startPtyPair(await tempDir())
  cleanups.push(pair.stop)
  const handle = await open(pair.b, 'w')
  cleanups.push(() => handle.close())
  return { ...pair, print: (line: string) => handle.write(line + '\r\n') }
}

function line(banner: ReturnType<typeof bannerFor>): string {
  return formatBootstrapBanner({ ...banner, firmware: '0.1.0' })
}

describe('watchBootstrap', () => {
  it('classifies every banner, records one operation per boot, and reports broken and FFERR lines', async () => {
    const { store, current } = await deviceWithTokens()
    const { a, print } = await board()
    const monitor = await openSerialMonitor({ path: a, batchIntervalMs: 20 })
    cleanups.push(() => monitor.close())
    const events: BootstrapEvent[] = []
    watchBootstrap(monitor, { store, now: () => at(2) }, (e) => events.push(e))

    const banner = line(bannerFor('pump-0001', current))
    await print('rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)')
    await print(`\xff?${banner}`)
    await print(banner)
    await print('FFBOOT v=1 uid=pump-0001 code=ABCD-EFGH')
    await print('FFERR v=1 uid=pump-0001 reason=token_checksum')
    await until(() => events.length === 4)

    expect(events.map((e) => e.kind)).toEqual(['banner', 'banner', 'malformed', 'board_error'])
    const [first, second, broken, fferr] = events
    expect(first).toMatchObject({ newOperation: true, verdict: { classification: 'verified' } })
    expect(second).toMatchObject({
      newOperation: false,
      operation: { id: first!.kind === 'banner' ? first!.operation!.id : '' },
    })
    expect(broken).toMatchObject({ reason: 'missing:fp' })
    expect(fferr).toMatchObject({
      error: { reason: 'token_checksum', message: expect.stringMatching(/mistyped/) },
    })
    expect((await store.device('pump-0001'))!.operations).toHaveLength(1)
  })
})

describe('verifyOnPort while another process holds the registry', () => {
  it('keeps the console streaming while the approval waits for the lock, then approves', async () => {
    const { store, current } = await deviceWithTokens()
    const { a, print } = await board()
    const holder = holdWriteLock(store.path)
    cleanups.push(() => holder.release())
    await until(holder.locked)
    let printed = 0
    const timer = setInterval(() => {
      printed++
      void print(line(bannerFor('pump-0001', current)))
    }, 50)
    cleanups.push(async () => clearInterval(timer))

    let settled = false
    const verified = verifyOnPort({
      store,
      path: a,
      timeoutMs: 60_000,
      approve: true,
      approver: 'Alice',
      now: () => at(2),
    }).finally(() => (settled = true))
    // The board keeps printing and this process keeps running its timers: nothing waits on the
    // lock but the record itself.
    const before = printed
    await until(() => printed > before + 20)
    expect(settled).toBe(false)
    expect((await store.device('pump-0001'))!.operations).toHaveLength(0)

    await holder.release()
    expect(await verified).toMatchObject({
      kind: 'banner',
      operation: { state: 'approved', approver: 'Alice' },
      approval: { token: { state: 'consumed' } },
    })
    expect((await store.device('pump-0001'))!.operations).toHaveLength(1)
  }, 90_000)
})

describe('verifyOnPort', () => {
  it('waits for the banner, records the operation and releases the port', async () => {
    const { store, current } = await deviceWithTokens()
    const { a, print } = await board()
    const timer = setInterval(() => void print(line(bannerFor('pump-0001', current))), 100)
    cleanups.push(async () => clearInterval(timer))

    const outcome = await verifyOnPort({
      store,
      path: a,
      expectedUid: 'pump-0001',
      timeoutMs: 5000,
      now: () => at(2),
    })

    expect(outcome).toMatchObject({
      kind: 'banner',
      verdict: { classification: 'verified' },
      approval: null,
    })
    expect(outcome.kind === 'banner' && outcome.operation?.state).toBe('pending')
    const reopened = await openSerialMonitor({ path: a })
    await reopened.close()
  })

  it('approves a verified board once; a second approval finds the token already used', async () => {
    const { store, current } = await deviceWithTokens()
    const { a, print } = await board()
    const timer = setInterval(() => void print(line(bannerFor('pump-0001', current))), 100)
    cleanups.push(async () => clearInterval(timer))

    const approved = await verifyOnPort({
      store,
      path: a,
      timeoutMs: 5000,
      approve: true,
      approver: 'Alice',
      now: () => at(2),
    })
    expect(approved).toMatchObject({
      kind: 'banner',
      operation: { state: 'approved', approver: 'Alice' },
      approval: { token: { state: 'consumed' } },
    })
    const again = await verifyOnPort({
      store,
      path: a,
      timeoutMs: 5000,
      approve: true,
      approver: 'Bob',
      now: () => at(3),
    })
    expect(again).toMatchObject({
      kind: 'banner',
      verdict: { classification: 'consumed', headline: 'Already approved' },
      approval: null,
    })
  })

  it('times out with advice, naming broken banner lines when it saw some', async () => {
    const { store } = await deviceWithTokens()
    const { a, print } = await board()
    const timer = setInterval(() => void print('FFBOOT v=1 uid=pump-0001 fp=zz'), 50)
    cleanups.push(async () => clearInterval(timer))
    const outcome = await verifyOnPort({ store, path: a, timeoutMs: 400 })
    expect(outcome.kind).toBe('timeout')
    expect(outcome.kind === 'timeout' && outcome.message).toMatch(
      /No bootstrap banner on .* within 0.4 s. \d+ broken FFBOOT line\(s\) were seen \(missing:code\): check the baud rate \(115200\)/,
    )
  })

  it('reports a board unplugged while waiting as device_lost', async () => {
    const { store } = await deviceWithTokens()
    const { a, stop } = await board()
    setTimeout(() => void stop(), 150)
    await expect(verifyOnPort({ store, path: a, timeoutMs: 5000 })).rejects.toMatchObject({
      code: 'device_lost',
    })
  })

  it('stops waiting when cancelled, releasing the port', async () => {
    const { store } = await deviceWithTokens()
    const { a } = await board()
    const abort = new AbortController()
    setTimeout(() => abort.abort(), 150)
    await expect(
      verifyOnPort({ store, path: a, timeoutMs: 5000, signal: abort.signal }),
    ).rejects.toMatchObject({ code: 'cancelled' })
    const reopened = await openSerialMonitor({ path: a })
    await reopened.close()
  })

  it('rejects bad input before touching the port', async () => {
    const { store } = await deviceWithTokens()
    await expect(
      verifyOnPort({ store, path: '/dev/none', expectedUid: 'x' }),
    ).rejects.toMatchObject({ code: 'invalid_input', field: 'device' })
    await expect(
      verifyOnPort({ store, path: '/dev/none', expectedUid: 'tank-0009' }),
    ).rejects.toMatchObject({ code: 'invalid_input', field: 'device' })
    await expect(verifyOnPort({ store, path: '/dev/none', approver: '' })).rejects.toMatchObject({
      code: 'invalid_input',
      field: 'approver',
    })
    await expect(verifyOnPort({ store, path: '/dev/none', timeoutMs: -1 })).rejects.toMatchObject({
      code: 'invalid_input',
      field: 'timeout',
    })
    await expect(verifyOnPort({ store, path: '/dev/none-such-port' })).rejects.toMatchObject({
      code: 'port_not_found',
    })
  })
})

describe('watchBootstrap on a board flooding new banners', () => {
  it('records a few operations per boot, says once that it stopped, and records again after a reboot', async () => {
    const { store, current } = await deviceWithTokens()
    const { a, print } = await board()
    const monitor = await openSerialMonitor({ path: a, batchIntervalMs: 20 })
    cleanups.push(() => monitor.close())
    const events: BootstrapEvent[] = []
    let clock = at(2).getTime()
    watchBootstrap(monitor, { store, now: () => new Date((clock += 1000)) }, (e) => events.push(e))

    // Ever-new fingerprints, as a broken or hostile firmware might print.
    const fake = (i: number) =>
      line({ ...bannerFor('pump-0001', current), fingerprint: i.toString(16).padStart(8, '0') })
    for (let i = 0; i < 12; i++) await print(fake(i))
    await until(() => events.filter((e) => e.kind === 'banner').length === 12)
    expect((await store.device('pump-0001'))!.operations).toHaveLength(3)
    const limited = events.filter((e) => e.kind === 'record_limited')
    expect(limited).toHaveLength(1)
    expect(limited[0]).toMatchObject({
      uid: 'pump-0001',
      message: expect.stringMatching(/no more operations are recorded .* until the board reboots/),
    })

    await print('rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)')
    await print(fake(100))
    await until(() => events.filter((e) => e.kind === 'banner').length === 13)
    expect((await store.device('pump-0001'))!.operations).toHaveLength(4)
  })
})
