// Emulated boards in a process of their own, for measurements of FieldFlash's event loop that the
// emulators' own work must not disturb (real boards do not run in the app's process):
// `tsx devkit/emulator-farm.ts <count>` starts <count> wired ESP32 emulators behind ptys and
// prints one JSON line with their paths. Each line on stdin, `<index> <dtr 0|1> <rts 0|1>`, drives
// that board's DTR/RTS (what `wiredAccess` hands an in-process emulator). Ends on stdin's end.

import { createInterface } from 'node:readline'
import { startPtyEmulator, type PtyEmulator } from './pty'

const count = Number(process.argv[2])
if (!Number.isInteger(count) || count < 1) {
  process.stderr.write('usage: emulator-farm <count>\n')
  process.exit(2)
}
const boards: PtyEmulator[] = []
for (let i = 0; i < count; i++) {
  boards.push(
    await startPtyEmulator({
      chip: 'ESP32',
      mac: `24:0a:c4:10:00:${i.toString(16).padStart(2, '0')}`,
      wired: true,
    }),
  )
}
process.stdout.write(JSON.stringify({ ports: boards.map((b) => b.clientPath) }) + '\n')
const input = createInterface({ input: process.stdin })
input.on('line', (line) => {
  const [index, dtr, rts] = line.trim().split(/\s+/).map(Number)
  boards[index!]?.emulator.setControlLines({ dtr: dtr === 1, rts: rts === 1 })
})
input.on('close', () => {
  void Promise.all(boards.map((b) => b.stop())).then(() => process.exit(0))
})
