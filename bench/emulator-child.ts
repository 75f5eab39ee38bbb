// Runs the ROM-loader emulator on a pty in a process of its own, so a benchmark measures the
// event loop of the flashing process alone. Prints {"path": ...}; ends when stdin closes.
import { startPtyEmulator } from '../devkit/pty'

const board = await startPtyEmulator({ chip: 'ESP32', flashSize: 8 * 1024 * 1024 })
process.stdout.write(JSON.stringify({ path: board.clientPath }) + '\n')
process.stdin.resume()
process.stdin.on('end', () => {
  void board.stop().then(() => process.exit(0))
})
