import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BoardCatalog, resourcePaths } from '../main/boards/catalog'
import { writeConfigPartition } from '../main/config-partition/write-config-partition'
import { addDevice } from '../main/devices/devices'
import { openSerialMonitor } from '../main/monitor/serial-monitor'
import { parseRegistrationReply } from '../main/registration/registration-protocol'
import { saveSiteProfile } from '../main/site/site-profile'
import { FieldFlashStore } from '../main/store/store'
import {
  consoleOfMonitor,
  registerBoard,
  registerOnPort,
  type RegistrationOutcome,
} from '../main/verification/register-board'
import { verifyOnPort } from '../main/verification/verification-session'
import { buildHostBoard, removeBuild } from '../devkit/firmware/host-build'
import { startPtyBoardAt, type SocatProcess } from '../devkit/pty'
import { BENCH_SITE, RESOURCES, summary, timed } from './stats'

// Registration over a real pty: the base firmware's own C code (host-built with gcc, as
// `npm run devkit:board` runs it) behind socat, provisioned with its ffcfg partition, verified and
// approved without registering, then registered with registerOnPort as the app and the CLI call
// it. The board prints its banner (or, once registered, its status line) every 150 ms.
//
// registerOnPort's round trip is: open the port, wait for the board's next banner or status line
// (its nonce; up to one interval, 5 s on the real firmware), then the FFREG → FFACK exchange. The
// figure of the exchange alone (port open, nonce known, as the app's console has it) shows which
// part is which.

const INTERVAL_MS = '150'

type PtyBoard = SocatProcess & { path: string }

function expectOk(outcome: RegistrationOutcome, op: 'register' | 'refresh'): void {
  if (!outcome.ok) throw new Error(`registration failed: ${outcome.reason}: ${outcome.message}`)
  if (outcome.op !== op) throw new Error(`registration was a ${outcome.op}, not a ${op}`)
}

/**
 * The registration round trip, `registerOnPort` from call to the acknowledged result: the first
 * registration of `samples` fresh boards, then `samples` refreshes of one registered board, then
 * the FFREG → FFACK exchange alone on a port already open.
 */
export async function benchRegistration(samples: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-bench-registration-'))
  let firmware: string | null = null
  let board: PtyBoard | null = null
  let store: FieldFlashStore | null = null
  try {
    const [buildMs, built] = await timed(() => buildHostBoard(null))
    firmware = built
    console.log(`registration: host board built (gcc)`.padEnd(52), `${buildMs.toFixed(0)} ms`)
    store = await FieldFlashStore.open(join(dir, 'data'))
    await saveSiteProfile(store, BENCH_SITE)
    const catalog = await BoardCatalog.load(resourcePaths(RESOURCES))

    /** A fresh device's board on a pty, flashed with its config partition, not yet verified. */
    const startBoard = async (uid: string, i: number): Promise<PtyBoard> => {
      await addDevice(store!, catalog, { uid, boardId: 'esp32-devkitc' })
      const config = join(dir, `ffcfg-${i}.bin`)
      await writeConfigPartition(store!, catalog, { uid, outPath: config })
      const mac = `24:0a:c4:00:00:${(i % 256).toString(16).padStart(2, '0')}`
      const args = ['--nvs', config, '--state', join(dir, `nvs-${i}.state`)]
      args.push('--interval-ms', INTERVAL_MS, '--mac', mac)
      return startPtyBoardAt(join(dir, `tty${i}`), firmware!, args, join(dir, `board-${i}.sh`))
    }

    const verifies: number[] = []
    const firsts: number[] = []
    let uid = ''
    for (let i = 0; i < samples; i++) {
      if (board) await board.stop()
      board = null
      uid = `bench-reg-${String(i).padStart(4, '0')}`
      board = await startBoard(uid, i)
      const path = board.path
      const [verifyMs, approved] = await timed(() =>
        verifyOnPort({
          store: store!,
          path,
          expectedUid: uid,
          approve: true,
          approver: 'Bench Tech',
          register: false,
          timeoutMs: 10_000,
        }),
      )
      if (approved.kind !== 'banner' || !approved.approval) {
        throw new Error(`${uid} was not approved (${approved.kind})`)
      }
      verifies.push(verifyMs)
      const [ms, outcome] = await timed(() => registerOnPort({ store: store!, path, uid }))
      expectOk(outcome, 'register')
      firsts.push(ms)
    }
    summary(`verify + approve, no registration (fresh board)`, verifies)
    summary(`registration round trip, first (fresh board)`, firsts)

    // The last board stays up, registered: each registerOnPort on it is a refresh.
    const path = board!.path
    const refreshes: number[] = []
    for (let i = 0; i < samples; i++) {
      const [ms, outcome] = await timed(() => registerOnPort({ store: store!, path, uid }))
      expectOk(outcome, 'refresh')
      refreshes.push(ms)
    }
    summary(`registration round trip, refresh (same board)`, refreshes)

    // The exchange alone: the port is open and the board's nonce known (from its status line).
    const monitor = await openSerialMonitor({ path, batchIntervalMs: 0 })
    try {
      const nonce = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no status line in 5 s')), 5000)
        const stop = monitor.subscribe((update) => {
          if (update.kind !== 'lines') return
          for (const line of update.lines) {
            const status = parseRegistrationReply(line.text)
            if (status?.kind === 'status' && status.uid === uid && status.nonce) {
              clearTimeout(timer)
              stop()
              resolve(status.nonce)
              return
            }
          }
        })
      })
      const exchanges: number[] = []
      for (let i = 0; i < samples; i++) {
        const [ms, outcome] = await timed(() =>
          registerBoard({
            store: store!,
            console: consoleOfMonitor(monitor),
            uid,
            nonce,
            mac: null,
          }),
        )
        expectOk(outcome, 'refresh')
        exchanges.push(ms)
      }
      summary(`  FFREG → FFACK alone, port open, nonce known`, exchanges)
    } finally {
      await monitor.close()
    }
  } finally {
    await board?.stop()
    await store?.close()
    if (firmware) await removeBuild(firmware)
    await rm(dir, { recursive: true, force: true })
  }
}
