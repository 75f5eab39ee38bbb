import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { writeConfigPartition } from '../../main/config-partition/write-config-partition'
import { addDevice } from '../../main/devices/devices'
import { openSerialMonitor } from '../../main/monitor/serial-monitor'
import { formatHolderLine } from '../../main/registration/registration-protocol'
import { revokeRegistration } from '../../main/registration/registrations'
import {
  consoleOfMonitor,
  registerBoard,
  registerOnPort,
} from '../../main/verification/register-board'
import { verifyOnPort } from '../../main/verification/verification-session'
import { startRelayedBoard, type RelayedBoard } from '../../devkit/relayed-board'
import { buildHostBoard, removeBuild } from '../firmware/build'
import { freshStore, loadCatalog, tempDir } from '../helpers/fixtures'
import { until } from '../helpers/wait'

// Registration over a cable the test controls: the base firmware's own C code (host-built) as the
// board, a relay that can drop a line, add noise, restart the board or pull the cable.

let firmware: string
beforeAll(async () => {
  firmware = await buildHostBoard(null)
})
afterAll(async () => {
  await removeBuild(firmware)
})

const boards: RelayedBoard[] = []
afterEach(async () => {
  for (const board of boards.splice(0)) await board.stop()
})

/** A device provisioned (its ffcfg partition on the board), verified and approved, not registered. */
async function approvedBoard() {
  const { store } = await freshStore()
  const catalog = await loadCatalog()
  await addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' })
  const dir = await tempDir('fieldflash-relay-')
  const config = join(dir, 'ffcfg.bin')
  await writeConfigPartition(store, catalog, { uid: 'pump-0001', outPath: config })
  const board = await startRelayedBoard(dir, firmware, [
    '--nvs',
    config,
    '--state',
    join(dir, 'nvs.state'),
    '--interval-ms',
    '150',
    '--mac',
    '24:0a:c4:aa:bb:cc',
  ])
  boards.push(board)
  const approved = await verifyOnPort({
    store,
    path: board.path,
    expectedUid: 'pump-0001',
    approve: true,
    approver: 'A. Tech',
    register: false,
    timeoutMs: 10_000,
  })
  expect(approved).toMatchObject({ kind: 'banner', approval: { token: { state: 'consumed' } } })
  return { store, board }
}

const isAck = (line: string): boolean => line.includes('FFACK ')
const isReg = (line: string): boolean => line.includes('FFREG ')

describe('registration over the cable', () => {
  it('registers once when an acknowledgment is lost: the line goes again and the board acknowledges again', async () => {
    const { store, board } = await approvedBoard()
    // The first acknowledgment is lost, and so are the status lines after it: only the answer to
    // the line sent again can tell FieldFlash.
    let acks = 0
    let dropped = 0
    board.passToHost = (line) => {
      if (isAck(line)) acks++
      const lost = (isAck(line) && acks === 1) || (line.startsWith('FFREGD ') && acks < 2)
      if (lost) dropped++
      return !lost
    }

    const outcome = await registerOnPort({ store, path: board.path, uid: 'pump-0001' })

    expect(outcome).toMatchObject({ ok: true, op: 'register', registration: { state: 'active' } })
    expect(dropped).toBeGreaterThanOrEqual(1)
    // The board got the same registration twice and stored it once: both answers name one token.
    const answers = board.printed.filter(isAck)
    expect(answers.length).toBeGreaterThanOrEqual(2)
    expect(new Set(answers.map((a) => /rfp=(\w+)/.exec(a)![1])).size).toBe(1)
    const device = (await store.device('pump-0001'))!
    expect(device.registrations.map((r) => r.state)).toEqual(['active'])
    await until(() => board.printed.some((l) => l.startsWith('FFREGD ')))
  }, 60_000)

  it('follows a board that restarts in the middle to its new nonce', async () => {
    const { store, board } = await approvedBoard()
    let restarted = false
    board.passToBoard = (line) => {
      if (isReg(line) && !restarted) {
        restarted = true
        void board.restart() // reset before the line arrives: a new boot, a new nonce
        return false
      }
      return true
    }
    const outcome = await registerOnPort({ store, path: board.path, uid: 'pump-0001' })
    expect(restarted).toBe(true)
    expect(outcome).toMatchObject({ ok: true, registration: { state: 'active' } })
    // Two nonces were used: the line before the reset, and the one after it.
    const nonces = new Set(board.received.filter(isReg).map((l) => /n=(\w+)/.exec(l)![1]))
    expect(nonces.size).toBe(2)
  }, 60_000)

  it('never registers on noise, a 1 MB line or a forged acknowledgment, and never hangs', async () => {
    const { store, board } = await approvedBoard()
    // Towards the board: a megabyte without a line end, binary noise, then an FFREG cut in half.
    board.injectToBoard(Buffer.alloc(1024 * 1024, 0x78))
    board.injectToBoard(
      '\n\u0000\u00ff\u00fe garbage \u0007\r\nFFREG v=1 op=register uid=pump-0001\n',
    )
    await until(() => board.printed.some((l) => l.includes('reason=format')))
    // The board still runs and is not registered: it prints its banner.
    const banners = board.printed.filter((l) => l.startsWith('FFBOOT ')).length
    await until(() => board.printed.filter((l) => l.startsWith('FFBOOT ')).length > banners)

    // Towards FieldFlash: the real board never hears the line; noise and a forged answer arrive.
    board.passToBoard = (line) => !isReg(line)
    const monitor = await openSerialMonitor({ path: board.path })
    try {
      const banner = await new Promise<string>((resolve) => {
        const stop = monitor.subscribe((u) => {
          if (u.kind !== 'lines') return
          const line = u.lines.find((l) => l.text.startsWith('FFBOOT '))
          if (line) {
            stop()
            resolve(line.text)
          }
        })
      })
      const nonce = /n=(\w{16})/.exec(banner)![1]!
      const forger = setInterval(() => {
        void board.injectToHost(`\u00ff\u00fe${'z'.repeat(4096)}\r\n`)
        // An FFACK for some other token, with the board's nonce: its proof cannot check.
        void board.injectToHost(
          `${formatHolderLine('ack', 'ffrt_' + '0'.repeat(52) + 'wd2fak', 'pump-0001', nonce, 1900000000)}\r\n`,
        )
      }, 100)
      const outcome = await registerBoard({
        store,
        console: consoleOfMonitor(monitor),
        uid: 'pump-0001',
        nonce,
        mac: null,
        timeoutMs: 3000,
      }).finally(() => clearInterval(forger))
      expect(outcome).toMatchObject({ ok: false, reason: 'timeout' })
    } finally {
      await monitor.close()
    }
    const device = (await store.device('pump-0001'))!
    expect(device.registrations.map((r) => [r.state, r.reason])).toEqual([['failed', 'timeout']])
    expect(board.printed.some((l) => l.startsWith('FFREGD '))).toBe(false)
  }, 60_000)

  it('refuses a registration line replayed after a reboot, and keeps the registration it has', async () => {
    const { store, board } = await approvedBoard()
    const first = await registerOnPort({ store, path: board.path, uid: 'pump-0001' })
    expect(first).toMatchObject({ ok: true, op: 'register' })
    if (!first.ok) return
    const captured = board.received.find(isReg)!
    const rebooted = board.printed.length
    await board.restart()
    await until(() => board.printed.slice(rebooted).some((l) => l.startsWith('FFREGD ')))

    // The line from the log, sent again: bound to the earlier boot's nonce, it is refused.
    board.injectToBoard(`${captured}
`)
    await until(() =>
      board.printed.some((l) => l.startsWith('FFNAK ') && l.includes('reason=nonce')),
    )
    const after = board.printed.length
    await until(() => board.printed.slice(after).some((l) => l.startsWith('FFREGD ')))
    const status = board.printed.slice(after).find((l) => l.startsWith('FFREGD '))!
    expect(status).toContain(`rfp=${first.registration.fingerprint}`)
    expect((await store.device('pump-0001'))!.registrations.map((r) => r.state)).toEqual(['active'])
  }, 60_000)

  it('refuses on both sides a board that carries another provisioning token', async () => {
    const { store } = await approvedBoard()
    // The same UID provisioned by another installation: its board carries a foreign token.
    const other = await freshStore()
    const catalog = await loadCatalog()
    await addDevice(other.store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' })
    const dir = await tempDir('fieldflash-relay-')
    const config = join(dir, 'ffcfg.bin')
    await writeConfigPartition(other.store, catalog, { uid: 'pump-0001', outPath: config })
    const foreign = await startRelayedBoard(dir, firmware, [
      '--nvs',
      config,
      '--interval-ms',
      '150',
    ])
    boards.push(foreign)

    // FieldFlash reads the token in the banner and sends nothing.
    const refused = await registerOnPort({ store, path: foreign.path, uid: 'pump-0001' })
    expect(refused).toMatchObject({ ok: false, reason: 'token' })
    if (!refused.ok)
      expect(refused.message).toMatch(/carries token [0-9a-f]{8}, not pump-0001's approved token/)
    expect(foreign.received.some(isReg)).toBe(false)
    expect((await store.device('pump-0001'))!.registrations).toEqual([])

    // Sent anyway, the board finds the tag made with another token's key and refuses it.
    await until(() => foreign.printed.some((l) => l.startsWith('FFBOOT ')))
    const nonce = /n=(\w{16})/.exec(foreign.printed.find((l) => l.startsWith('FFBOOT '))!)![1]!
    const monitor = await openSerialMonitor({ path: foreign.path, batchIntervalMs: 10 })
    try {
      const outcome = await registerBoard({
        store,
        console: consoleOfMonitor(monitor),
        uid: 'pump-0001',
        nonce,
        mac: null,
      })
      expect(outcome).toMatchObject({ ok: false, reason: 'tag' })
      if (!outcome.ok) expect(outcome.message).toContain('does not carry the provisioning token')
    } finally {
      await monitor.close()
    }
    expect(
      (await store.device('pump-0001'))!.registrations.map((r) => [r.state, r.reason]),
    ).toEqual([['failed', 'tag']])
    expect(foreign.printed.some((l) => l.startsWith('FFREGD '))).toBe(false)
  }, 60_000)

  it('ends as lost, recorded, when the cable is pulled during registration', async () => {
    const { store, board } = await approvedBoard()
    board.passToBoard = (line) => {
      if (isReg(line)) void board.unplug()
      return false
    }
    const outcome = await registerOnPort({ store, path: board.path, uid: 'pump-0001' })
    expect(outcome).toMatchObject({ ok: false, reason: 'lost' })
    expect((await store.device('pump-0001'))!.registrations.map((r) => r.state)).toEqual(['failed'])
  }, 60_000)

  it('refreshes a registered board, and gives a revoked one a new token too', async () => {
    const { store, board } = await approvedBoard()
    const first = await registerOnPort({ store, path: board.path, uid: 'pump-0001' })
    expect(first).toMatchObject({ ok: true, op: 'register' })
    const refreshed = await registerOnPort({ store, path: board.path, uid: 'pump-0001' })
    expect(refreshed).toMatchObject({ ok: true, op: 'refresh' })
    await revokeRegistration(store, 'pump-0001')
    const again = await registerOnPort({ store, path: board.path, uid: 'pump-0001' })
    expect(again).toMatchObject({ ok: true, op: 'refresh' })
    expect((await store.device('pump-0001'))!.registrations.map((r) => r.state)).toEqual([
      'superseded',
      'revoked',
      'active',
    ])
    // The board's status line names the active token, and its proof checks.
    const active = (await store.device('pump-0001'))!.registrations.at(-1)!
    await until(() => board.printed.some((l) => l.includes(`rfp=${active.fingerprint}`)))
  }, 60_000)
})
