import { SerialportDevice } from '../main/serial/serialport-device'
import type { BoardAccess } from '../main/session/board-session'
import type { RomLoaderEmulator } from './emulator/rom-loader-emulator'

/**
 * How FieldFlash reaches wired emulated boards (`startPtyEmulator({ wired: true })`, or the
 * renderer tests' wired bench board): the real
 * serialport adapter on the pty, with the DTR/RTS it sets handed to the emulator's auto-reset
 * circuit too, since a pty carries no modem lines. The flasher's resets then reach the board as
 * they would through a USB bridge: into download mode, and back into its firmware.
 */
export function wiredAccess(
  boards: () => readonly { clientPath: string; emulator: RomLoaderEmulator }[],
): BoardAccess {
  return {
    flashDependencies: {
      openPort: (request, warn) => {
        const device = new SerialportDevice({ path: request.port.path, onWarning: () => undefined })
        const board = boards().find((b) => b.clientPath === request.port.path)
        if (!board) warn(`No wired board at ${request.port.path}.`)
        const setSignals = device.setSignals.bind(device)
        device.setSignals = async (signals) => {
          board?.emulator.setControlLines({
            dtr: signals.dataTerminalReady,
            rts: signals.requestToSend,
          })
          await setSignals(signals).catch(() => undefined)
        }
        return device as never
      },
      now: () => performance.now(),
    },
    monitorOptions: { presenceIntervalMs: 250, batchIntervalMs: 50 },
  }
}
