// A board on the test bench, behind a real pseudo-terminal pair (socat): the app opens
// `clientPath` with the `serialport` package exactly as it opens /dev/ttyUSB0.
//
// Until it is flashed the board sits in the ESP ROM's download mode (the ROM-loader emulator).
// After a flash it "boots" what was written: the test firmware's app image carries the host-built
// firmware (devkit/firmware/host_board.c compiled against the template's device_config.h), which
// the bench extracts from the emulated flash and runs, its output going to the pty. ptys have no
// DTR/RTS, so the hard reset esptool-js sends at the end cannot reach the emulated EN pin: the
// bench resets the board into its app when the flasher releases the port, which is what that
// reset does on real hardware. What the app writes to the port while the board runs its app goes
// to the firmware's stdin (a registration over the cable).
//
// A `usb` board re-enumerates each time it boots its firmware, as a native-USB board does after
// its reset: its pty goes away and comes back under the next name (ttyACM0, ttyACM1, …), with the
// same USB serial number and in the same slot, as `listed` shows it to the port lister.

import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SerialPort } from 'serialport'
import { requireSocat, startPtyPair, type SocatProcess } from '../../../devkit/pty'
import { RomLoaderEmulator, type FaultOptions } from '../../../devkit/emulator/rom-loader-emulator'
import { parsePartitionTable } from '../../../main/flash/firmware/partition-table'
import { SerialportDevice } from '../../../main/serial/serialport-device'
import type { BoardAccess } from '../../../main/session/board-session'
import type { PortView } from '../../../main/serial/port-types'
import { extractHostBoard } from './test-firmware'

export const BENCH_MAC = '24:0a:c4:12:34:56'
/** Where the test firmware's app image goes (esp32-devkitc's app offset). */
const APP_OFFSET = 0x10000
const APP_WINDOW = 0x140000
const PARTITION_TABLE_OFFSET = 0x8000

/** A board whose USB port re-enumerates at reset: its serial number and where it is plugged in. */
export interface BenchUsb {
  serialNumber: string
  location: string
}

export class BenchBoard {
  emulator: RomLoaderEmulator
  state: 'download' | 'app' | 'unplugged' = 'download'
  /** The path the app opens now (a `usb` board's changes each time it re-enumerates). */
  clientPath: string
  /** How many times its port came back under a new name. */
  private enumerations = 0
  /** What the running app printed, for test diagnostics. */
  appOutput = ''
  private socat: SocatProcess | null = null
  private boardPort: SerialPort | null = null
  private app: ChildProcess | null = null
  private constructor(
    readonly dir: string,
    /** With an auto-reset circuit driven through `wiredAccess`: see `start`. */
    readonly wired: boolean,
    private readonly mac: string,
    faults: FaultOptions = {},
    readonly usb: BenchUsb | null = null,
  ) {
    this.clientPath = join(dir, this.portName())
    this.emulator = this.newEmulator(faults)
    if (wired) this.state = 'app'
  }

  private portName(): string {
    return this.usb ? `ttyACM${this.enumerations}` : 'ttyUSB0'
  }

  /** The port as the system's port list shows it (a `usb` board with its USB identity). */
  get listed(): PortView {
    return {
      path: this.clientPath,
      manufacturer: this.usb ? 'Espressif' : null,
      serialNumber: this.usb?.serialNumber ?? null,
      vid: this.usb ? '303a' : null,
      pid: this.usb ? '1001' : null,
      bridge: null,
      nativeUsb: this.usb !== null,
      boardIds: [],
      location: this.usb?.location ?? null,
    }
  }

  /**
   * Creates the pty pair and puts a board behind it: in download mode, or (`wired`) a blank board
   * with the auto-reset circuit whose DTR/RTS `wiredAccess` hands to the emulator. A wired board
   * keeps its flash across resets and runs what was written whenever it boots its firmware.
   */
  static async start(
    options: { wired?: boolean; mac?: string; faults?: FaultOptions; usb?: BenchUsb } = {},
  ): Promise<BenchBoard> {
    await requireSocat()
    const dir = await mkdtemp(join(tmpdir(), 'fieldflash-bench-'))
    const bench = new BenchBoard(
      dir,
      options.wired ?? false,
      options.mac ?? BENCH_MAC,
      options.faults,
      options.usb ?? null,
    )
    await bench.plugIn()
    return bench
  }

  /** Whether the port exists (what the port lister shows). */
  get present(): boolean {
    return this.state !== 'unplugged' && existsSync(this.clientPath)
  }

  /** Hold BOOT, tap EN: the ROM's download mode again (the flash keeps nothing from before). */
  enterDownloadMode(faults: FaultOptions = {}): void {
    this.stopApp()
    this.emulator.dispose()
    this.emulator = this.newEmulator(faults)
    this.state = 'download'
  }

  /** The flasher released the port after its hard reset: boot the app written to flash. */
  async resetIntoApp(): Promise<void> {
    if (this.state !== 'download') return
    const image = this.emulator.readFlash(APP_OFFSET, APP_WINDOW)
    const program = extractHostBoard(image)
    const ffcfg = this.flashedPartition('ffcfg')
    // A wired board's emulator lives on (its flash, its reset circuit); the other kind is done.
    if (!this.wired) this.emulator.dispose()
    this.state = 'app'
    if (this.usb) await this.reenumerate()
    if (!program) {
      this.send(
        'rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\ninvalid header: 0xffffffff\r\n',
      )
      return
    }
    const file = join(this.dir, `app-${Date.now()}`)
    await writeFile(file, program)
    await chmod(file, 0o755)
    const args = ['--mac', this.mac, '--interval-ms', '400']
    // The board's ffcfg partition as flashed, for a base firmware that reads its values there.
    if (ffcfg) {
      const nvs = join(this.dir, `ffcfg-${Date.now()}.bin`)
      await writeFile(nvs, ffcfg)
      args.push('--nvs', nvs)
    }
    // What the app sends the board (a registration line) reaches the firmware on its stdin.
    const app = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    app.stdin!.on('error', () => undefined)
    this.app = app
    app.stdout!.on('data', (chunk: Buffer) => {
      this.appOutput += chunk.toString('latin1')
      this.send(chunk)
    })
    app.stderr!.on('data', (chunk: Buffer) => {
      this.appOutput += chunk.toString('latin1')
    })
    app.on('error', () => undefined)
  }

  /** The bytes of a partition, by label, per the partition table in flash; null without one. */
  private flashedPartition(label: string): Uint8Array | null {
    try {
      const table = parsePartitionTable(
        this.emulator.readFlash(PARTITION_TABLE_OFFSET, 0xc00),
        'flash',
      )
      const entry = table.entries.find((e) => e.label === label)
      return entry ? this.emulator.readFlash(entry.offset, entry.size) : null
    } catch {
      return null // no valid table in flash: nothing to read
    }
  }

  /** The USB device goes away and comes back under the next port name. */
  private async reenumerate(): Promise<void> {
    await this.closeBoardEnd()
    this.enumerations++
    this.clientPath = join(this.dir, this.portName())
    await this.plugIn()
  }

  /** Pulls the USB cable: the pty disappears and the app's port reports the loss. */
  async unplug(): Promise<void> {
    if (this.state === 'unplugged') return
    this.state = 'unplugged'
    this.stopApp()
    this.emulator.dispose()
    await this.closeBoardEnd()
  }

  /** Plugs it back in, in download mode, at the same path. */
  async replug(faults: FaultOptions = {}): Promise<void> {
    if (this.state !== 'unplugged') return
    this.emulator = this.newEmulator(faults)
    this.state = 'download'
    await this.plugIn()
  }

  async stop(): Promise<void> {
    await this.unplug()
    await rm(this.dir, { recursive: true, force: true })
  }

  private newEmulator(faults: FaultOptions = {}): RomLoaderEmulator {
    const emulator = new RomLoaderEmulator({
      chip: 'ESP32',
      mac: this.mac,
      startInDownloadMode: !this.wired,
      resetCircuit: this.wired ? 'classic' : 'none',
      faults,
      // A wired board's resets come through its circuit: into download mode (the firmware stops
      // and the ROM answers), or into the firmware written to flash.
      onBoot: this.wired
        ? (kind) => {
            if (kind === 'download') {
              this.stopApp()
              this.state = 'download'
            } else {
              this.state = 'download'
              void this.resetIntoApp()
            }
          }
        : undefined,
    })
    emulator.attachHost({
      receive: (bytes) => {
        if (emulator === this.emulator && this.state === 'download') this.send(bytes)
      },
      deviceLost: () => {
        if (emulator === this.emulator) void this.unplug()
      },
    })
    return emulator
  }

  private send(bytes: Uint8Array | string): void {
    const port = this.boardPort
    if (port?.isOpen)
      port.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes))
  }

  private stopApp(): void {
    this.app?.kill('SIGKILL')
    this.app = null
  }

  private async plugIn(): Promise<void> {
    const socat = await startPtyPair(this.dir, [`board-end-${this.enumerations}`, this.portName()])
    this.socat = socat
    const boardPath = socat.a
    const port = new SerialPort({ path: boardPath, baudRate: 115200, autoOpen: false })
    await new Promise<void>((resolve, reject) =>
      port.open((error) => (error ? reject(error) : resolve())),
    )
    port.on('data', (chunk: Buffer) => {
      if (this.state === 'download') void this.emulator.fromHost(new Uint8Array(chunk))
      else if (this.state === 'app') this.app?.stdin?.write(chunk)
    })
    port.on('error', () => undefined)
    this.boardPort = port
  }

  private async closeBoardEnd(): Promise<void> {
    const port = this.boardPort
    this.boardPort = null
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()))
    const socat = this.socat
    this.socat = null
    await socat?.stop()
  }
}

/**
 * How FieldFlash reaches the bench board: the real serialport adapter, and, since a pty carries
 * no RTS, the board boots what was written when the flasher lets go of the port (what the hard
 * reset does on real hardware).
 */
export function benchAccess(bench: BenchBoard): BoardAccess {
  return {
    flashDependencies: {
      openPort: (request, warn) => {
        const device = new SerialportDevice({ path: request.port.path, onWarning: warn })
        const close = device.close.bind(device)
        device.close = async () => {
          await close()
          await bench.resetIntoApp()
        }
        return device as never
      },
      now: () => performance.now(),
    },
    monitorOptions: { presenceIntervalMs: 250, batchIntervalMs: 50 },
    // The bench board is the only port there is (its USB identity, when it has one).
    listPorts: async () => (bench.present ? [bench.listed] : []),
  }
}
