import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { SerialportDevice } from '../main/serial/serialport-device'
import type { BoardAccess } from '../main/session/board-session'

/** Wired emulated boards running in `devkit/emulator-farm.ts`, and how FieldFlash reaches them. */
export interface EmulatorFarm {
  ports: string[]
  /** As `wiredAccess`, the DTR/RTS that FieldFlash sets going to the farm's boards. */
  access: BoardAccess
  stop(): Promise<void>
}

/** Starts `count` wired boards in another process (see emulator-farm.ts). */
export async function startEmulatorFarm(count: number): Promise<EmulatorFarm> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'emulator-farm.ts'), String(count)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const ports = await new Promise<string[]>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.once('line', (line) => resolve((JSON.parse(line) as { ports: string[] }).ports))
    child.once('exit', (code) => reject(new Error(`the emulator farm exited (${code})`)))
  })
  const access: BoardAccess = {
    flashDependencies: {
      openPort: (request) => {
        const device = new SerialportDevice({ path: request.port.path, onWarning: () => undefined })
        const index = ports.indexOf(request.port.path)
        const setSignals = device.setSignals.bind(device)
        let lines = { dtr: true, rts: true }
        device.setSignals = async (signals) => {
          lines = {
            dtr: signals.dataTerminalReady ?? lines.dtr,
            rts: signals.requestToSend ?? lines.rts,
          }
          child.stdin!.write(`${index} ${Number(lines.dtr)} ${Number(lines.rts)}\n`)
          await setSignals(signals).catch(() => undefined)
        }
        return device as never
      },
      now: () => performance.now(),
    },
    monitorOptions: { presenceIntervalMs: 250, batchIntervalMs: 50 },
  }
  return {
    ports,
    access,
    async stop() {
      child.stdin!.end()
      await exited
    },
  }
}
