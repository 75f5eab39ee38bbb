// An emulated ESP board as seen through its serial port: the ROM's UART download mode, the
// flasher stub esptool uploads into RAM, the reset wiring behind DTR/RTS and a SPI NOR flash.
// It speaks the protocol from the byte level up and is transport-agnostic: an in-process
// Web-Serial-like port (in-process-port.ts) or a pseudo-terminal (pty.ts) attaches to it.

import { BlockInflater } from './block-inflater'
import {
  CHIPS,
  jedecIdFor,
  parseMac,
  type BootKind,
  type ChipModel,
  type ChipName,
  type ChipRevision,
  type ResetCause,
} from './chips'
import { FLASH_SECTOR_SIZE, FlashMemory, MiB } from './flash-memory'
import {
  Command,
  RomError,
  STUB_GREETING,
  StubError,
  SYNC_PAYLOAD,
  buildResponse,
  commandName,
  dataChecksum,
  parseRequest,
  wordAt,
  type CommandName,
  type RequestPacket,
} from './protocol'
import { SlipDecoder, slipEncode } from './slip'
import { LineNoise, PacedLine } from './uart'

/** How DTR/RTS reach EN and IO0. */
export type ResetCircuit =
  /** The two-transistor auto-reset circuit of USB-UART dev boards: EN low iff RTS∧¬DTR, IO0 low iff DTR∧¬RTS. */
  | 'classic'
  /** The USB-Serial/JTAG peripheral of ESP32-S3/C3 (see `UsbJtagResetLogic`). */
  | 'usb-jtag-serial'
  /** No wiring (a pty, or a board without auto-reset): the lines do nothing. */
  | 'none'

/** Board faults; each is off unless set. */
export interface FaultOptions {
  /** After this many bytes have reached the board, it vanishes from the bus (USB unplugged). */
  unplugAfterBytesReceived?: number
  /** Flash offsets whose byte is stored inverted whenever it is programmed (a corrupted block). */
  corruptFlashOffsets?: number[]
  /** The board never enters download mode: every reset boots the app, SYNC is never answered. */
  notInDownloadMode?: boolean
  /** Delay before every response, in ms. */
  responseDelayMs?: number
  /** Delay before responses to particular commands, in ms (added to `responseDelayMs`). */
  responseDelayByCommand?: Partial<Record<CommandName, number>>
  /** Highest baud rate the wiring carries; above it every byte in both directions is corrupted. */
  maxReliableBaud?: number
  /**
   * The wiring degrades mid-session (a cable moved, a hub browning out): once this many bytes have
   * reached the board, `maxReliableBaud` becomes the given rate.
   */
  degradeLink?: { afterBytesReceived: number; maxReliableBaud: number }
  /**
   * A marginal link: above `aboveBaud`, every request frame longer than `longerThan` bytes arrives
   * with a flipped bit, so the loader answers it with a checksum error, while short commands pass.
   */
  corruptLongFrames?: { longerThan: number; aboveBaud: number }
  /** The ROM answers MEM_END but does not run the uploaded stub: no OHAI, the ROM keeps talking. */
  refuseStub?: boolean
  /**
   * The board vanishes when the `occurrence`-th (default first) request of `command` arrives, before
   * answering it; with `offset`, only requests for that flash address count (the BEGIN commands,
   * SPI_FLASH_MD5, READ_FLASH and ERASE_REGION carry one).
   */
  unplugOn?: { command: CommandName; offset?: number; occurrence?: number }
  /** The board vanishes once `afterBytes` bytes of a write that began at `offset` are in flash. */
  unplugWhileWriting?: { offset: number; afterBytes: number }
}

/** What the "application" in flash prints after a normal boot. */
export interface AppBehaviour {
  /** Text printed after the ROM's boot banner; a function sees the emulator (e.g. its flash). */
  text?: string | ((emulator: RomLoaderEmulator) => string)
  /** Print the text again every this many ms while the app runs (the FFBOOT banner repeats). */
  repeatEveryMs?: number
}

export interface EmulatorOptions {
  chip?: ChipName
  /** `aa:bb:cc:dd:ee:ff`; defaults to a per-chip example. */
  mac?: string
  revision?: ChipRevision
  /** Flash size in bytes (default 4 MiB). */
  flashSize?: number
  /** JEDEC id answered to RDID; defaults to a GigaDevice-style id matching `flashSize`. */
  flashJedecId?: number
  /** Power up already in the ROM's download mode (ptys have no modem lines to get there). */
  startInDownloadMode?: boolean
  resetCircuit?: ResetCircuit
  /** Deliver bytes at baud / 10 bytes per second in both directions (default true). */
  pacing?: boolean
  app?: AppBehaviour
  /** Time the stub needs for ERASE_FLASH, in ms (default 0). */
  chipEraseMs?: number
  /**
   * What GET_SECURITY_INFO reports (chips whose ROM has the command): the flags word (bit 0
   * secure boot, bit 2 secure download mode) and FLASH_CRYPT_CNT (an odd number of bits set means
   * flash encryption is on). Default: all off.
   */
  security?: { flags?: number; flashCryptCnt?: number }
  /** Called at every boot, after the state changed: into the ROM's download mode or the firmware. */
  onBoot?: (kind: 'download' | 'flash') => void
  faults?: FaultOptions
}

/** What runs on the board. */
export type BoardState =
  | 'app' // the firmware in flash
  | 'in-reset' // EN held low
  | 'rom' // the ROM's UART download mode
  | 'stub' // the flasher stub, uploaded with MEM_BEGIN / MEM_DATA / MEM_END
  | 'crashed' // jumped to an address where no code was loaded
  | 'unplugged'

/** The host end of the wire, as seen from the board. */
export interface HostLink {
  /** Bytes leaving the board's TX pin, sent at `baud`. */
  receive(bytes: Uint8Array, baud: number): void
  /** The board left the bus (unplugged). */
  deviceLost(): void
}

/** An error status the board sent, for assertions. */
export interface SentError {
  command: string
  code: number
  loader: 'rom' | 'stub'
}

/** SYNC answers carry this value from the ROM (traces in esptool issues show 07 07 12 20); the stub sends 0. */
const ROM_SYNC_VALUE = 0x20120707
/** The ROM answers one SYNC with 8 identical responses (esptool maintainer in esptool #570). */
const ROM_SYNC_RESPONSES = 8
/**
 * The ROM's reply to a command it does not implement: status 1 / error 0x05, repeated, with a
 * command byte that differs from the request's. esptool (`command()`) and esptool-js 0.7.0
 * (`readPacket`) classify exactly that shape as "unsupported command" for the ESP32 and ESP8266
 * ROMs, and esptool-js's comment says the ROM repeats it 8 times. The actual command byte is not
 * documented; 0x00 is this emulator's choice.
 */
const ROM_UNSUPPORTED_REPLY_OP = 0x00
const ROM_UNSUPPORTED_REPLIES = 8
/** The rate every ESP ROM starts its UART at (40 MHz crystal; ESP8266 autobauds to it as well). */
const ROM_BAUD = 115200

interface MemSegment {
  offset: number
  size: number
  blockSize: number
  blocks: number
  data: Uint8Array
  received: Set<number>
}

interface FlashWriteSession {
  compressed: boolean
  offset: number
  /** Bytes the host said it will write (uncompressed). */
  size: number
  blockSize: number
  /** Next address the stub writes to (it ignores sequence numbers and appends). */
  writeAt: number
  written: number
  /** Stub: sectors of [offset, offset + eraseSize) not yet erased; erased just before first write. */
  lazyErase?: { start: number; end: number; erased: Set<number> }
  inflater?: BlockInflater
}

interface ReadFlashSession {
  acked: number
  wake: (() => void) | undefined
}

/** The classic USB-UART auto-reset circuit (esptool docs, "Boot mode selection"). */
function classicPins(dtr: boolean, rts: boolean): { enHigh: boolean; io0Low: boolean } {
  return { enHigh: !(rts && !dtr), io0Low: dtr && !rts }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** An emulated ESP board behind a serial port. */
export class RomLoaderEmulator {
  readonly chip: ChipModel
  readonly mac: string
  readonly flash: FlashMemory
  readonly resetCircuit: ResetCircuit
  /** Pacing at the configured baud rate; can be switched off for functional tests. */
  pacing: boolean

  private readonly options: EmulatorOptions
  private readonly faults: FaultOptions
  private readonly macBytes: Uint8Array
  private readonly revision: ChipRevision
  private readonly jedecId: number
  private readonly noise = new LineNoise()
  private readonly txLine: PacedLine
  private readonly rxLine: PacedLine
  private readonly decoder: SlipDecoder
  private host: HostLink | undefined

  private stateValue: BoardState
  private generation = 0
  private deviceBaud = ROM_BAUD
  /** ROM download mode before CHANGE_BAUDRATE: the UART follows whatever rate the host uses. */
  private autobaud = true
  private registers = new Map<number, number>()
  private lines = { dtr: false, rts: false }
  private enHigh = true
  private usbJtagDownloadLatched = false
  private frames: Uint8Array[] = []
  private processing = false
  private memSegments: MemSegment[] = []
  private memSegment: MemSegment | undefined
  private flashSession: FlashWriteSession | undefined
  private readFlashSession: ReadFlashSession | undefined
  private appTimer: ReturnType<typeof setInterval> | undefined
  private disposed = false

  private readonly counts = new Map<string, number>()
  private readonly errors: SentError[] = []
  private bytesIn = 0
  private bytesOut = 0
  private corruptedFrames = 0
  private unplugTriggers = 0
  private stubStarts = 0
  private boots = 0
  private spiAttachedValue = false
  private spiParams: number[] | undefined

  constructor(options: EmulatorOptions = {}) {
    this.options = options
    this.faults = { ...options.faults }
    this.chip = CHIPS[options.chip ?? 'ESP32']
    this.mac = options.mac ?? this.chip.defaultMac
    this.macBytes = parseMac(this.mac)
    this.revision = options.revision ?? this.chip.defaultRevision
    const flashSize = options.flashSize ?? 4 * MiB
    this.flash = new FlashMemory(flashSize, { corruptOffsets: this.faults.corruptFlashOffsets })
    this.jedecId = options.flashJedecId ?? jedecIdFor(flashSize)
    this.resetCircuit = options.resetCircuit ?? 'classic'
    if (this.resetCircuit === 'usb-jtag-serial' && !this.chip.hasUsbJtagSerial) {
      throw new Error(`${this.chip.name} has no USB-Serial/JTAG peripheral`)
    }
    this.pacing = options.pacing ?? true
    this.txLine = new PacedLine((bytes, baud) => this.onTxDelivered(bytes, baud))
    this.rxLine = new PacedLine((bytes, baud) => this.onRxDelivered(bytes, baud))
    this.decoder = new SlipDecoder((frame) => this.onFrame(frame))
    this.resetRegisters()
    this.stateValue = 'app'
    if (options.startInDownloadMode && !this.faults.notInDownloadMode) this.stateValue = 'rom'
    else this.startAppTimer()
  }

  // ---------------------------------------------------------------- wire side

  /** Connects the host end of the wire (one at a time); returns a function that disconnects it. */
  attachHost(link: HostLink): () => void {
    this.host = link
    return () => {
      if (this.host === link) this.host = undefined
    }
  }

  /**
   * Bytes the host puts on the board's RX pin at `hostBaud` (undefined for ptys, which carry no
   * rate: the board's own rate is assumed). Resolves when the last byte has crossed the wire.
   */
  fromHost(bytes: Uint8Array, hostBaud?: number): Promise<void> {
    if (this.stateValue === 'unplugged' || this.disposed) return Promise.resolve()
    return this.rxLine.send(bytes, hostBaud ?? this.deviceBaud, this.pacing)
  }

  /** Sets the modem control lines as the host drives them (Web Serial `setSignals`). */
  setControlLines(lines: { dtr?: boolean; rts?: boolean }): void {
    const previous = this.lines
    this.lines = { dtr: lines.dtr ?? previous.dtr, rts: lines.rts ?? previous.rts }
    if (this.stateValue === 'unplugged') return
    const { dtr, rts } = this.lines
    if (this.resetCircuit === 'classic') {
      const pins = classicPins(dtr, rts)
      this.setEn(pins.enHigh, pins.io0Low ? 'download' : 'flash', 'power-on')
    } else if (this.resetCircuit === 'usb-jtag-serial') {
      // Simplified USB-Serial/JTAG model: the chip is held in reset while RTS∧¬DTR; download boot is
      // latched when reset is entered straight from DTR∧RTS, which is what esptool's
      // USBJTAGSerialReset sequence (and esptool-js's UsbJtagSerialReset) walks through.
      const inReset = rts && !dtr
      if (inReset && this.enHigh) this.usbJtagDownloadLatched = previous.dtr && previous.rts
      this.setEn(!inReset, this.usbJtagDownloadLatched ? 'download' : 'flash', 'usb-jtag-serial')
    }
  }

  /** The board's current UART rate. */
  get baud(): number {
    return this.deviceBaud
  }

  /** Whether the link is the chip's own USB CDC port, where baud rates mean nothing. */
  get isUsbCdc(): boolean {
    return this.resetCircuit === 'usb-jtag-serial'
  }

  /** Whether bytes at `baud` survive the wiring (the maxReliableBaud fault). */
  linkCarries(baud: number): boolean {
    return this.faults.maxReliableBaud === undefined || baud <= this.faults.maxReliableBaud
  }

  // ---------------------------------------------------------------- tap for tests

  /** What runs on the board now. */
  get state(): BoardState {
    return this.stateValue
  }

  /** The loader answering commands, if any. */
  get loader(): 'rom' | 'stub' | undefined {
    return this.stateValue === 'rom' || this.stateValue === 'stub' ? this.stateValue : undefined
  }

  /** A copy of flash contents. */
  readFlash(offset: number, length: number): Uint8Array {
    return this.flash.read(offset, length)
  }

  /** Erases and programs flash directly (preloading a test image; not a protocol command). */
  loadFlash(offset: number, data: Uint8Array): void {
    this.flash.eraseRange(offset, data.length)
    this.flash.program(offset, data)
  }

  /** How often each command arrived (by protocol name), including rejected ones. */
  get commandCounts(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.counts)
  }

  /** Request frames the corruptLongFrames fault has spoiled so far. */
  get corruptedFrameCount(): number {
    return this.corruptedFrames
  }

  /** How often one command arrived. */
  commandCount(name: CommandName): number {
    return this.counts.get(name) ?? 0
  }

  /** Error statuses the board sent, oldest first. */
  get errorsSent(): readonly SentError[] {
    return this.errors
  }

  /** Byte counters and lifecycle counters. */
  get stats(): {
    bytesReceived: number
    bytesSent: number
    stubStarts: number
    boots: number
    spiAttached: boolean
    spiParams: readonly number[] | undefined
  } {
    return {
      bytesReceived: this.bytesIn,
      bytesSent: this.bytesOut,
      stubStarts: this.stubStarts,
      boots: this.boots,
      spiAttached: this.spiAttachedValue,
      spiParams: this.spiParams,
    }
  }

  /** Resolves when the board reaches `state`, rejects after `timeoutMs`. */
  async waitForState(state: BoardState, timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (this.stateValue !== state) {
      if (Date.now() > deadline) {
        throw new Error(
          `board did not reach state ${state} within ${timeoutMs} ms (is ${this.stateValue})`,
        )
      }
      await sleep(5)
    }
  }

  /** Arms the unplug fault: the board vanishes once `moreBytes` further bytes have reached it. */
  armUnplug(moreBytes: number): void {
    this.faults.unplugAfterBytesReceived = this.bytesIn + moreBytes
  }

  /** Pulls the board off the bus now (as the unplug fault does). */
  unplug(): void {
    if (this.stateValue === 'unplugged') return
    this.enterState('unplugged')
    this.txLine.clear()
    this.rxLine.clear()
    this.host?.deviceLost()
  }

  /** Plugs the board back in: it powers up running its app (or in download mode, if so configured). */
  replug(): void {
    if (this.stateValue !== 'unplugged') return
    this.lines = { dtr: false, rts: false }
    this.enHigh = true
    this.bytesIn = 0
    this.faults.unplugAfterBytesReceived = undefined
    this.boot(this.options.startInDownloadMode ? 'download' : 'flash', 'power-on', {
      banner: false,
    })
  }

  /** Stops timers; the emulator answers nothing afterwards. */
  dispose(): void {
    this.disposed = true
    this.stopAppTimer()
    this.txLine.clear()
    this.rxLine.clear()
    this.generation++
  }

  // ---------------------------------------------------------------- reset and boot

  private setEn(high: boolean, bootKind: BootKind, cause: ResetCause): void {
    if (high === this.enHigh) return
    this.enHigh = high
    if (!high) {
      this.enterState('in-reset')
      this.txLine.clear()
    } else {
      this.boot(bootKind, cause, { banner: true })
    }
  }

  private enterState(state: BoardState): void {
    this.generation++
    this.stateValue = state
    this.frames = []
    this.decoder.reset()
    this.memSegments = []
    this.memSegment = undefined
    this.closeFlashSession()
    if (this.readFlashSession) this.readFlashSession.wake?.()
    this.readFlashSession = undefined
    this.stopAppTimer()
  }

  private boot(kind: BootKind, cause: ResetCause, { banner }: { banner: boolean }): void {
    const effective: BootKind = this.faults.notInDownloadMode ? 'flash' : kind
    this.enterState(effective === 'download' ? 'rom' : 'app')
    this.boots++
    this.deviceBaud = ROM_BAUD
    this.autobaud = true
    this.resetRegisters()
    this.spiAttachedValue = false
    this.spiParams = undefined
    if (banner) {
      void this.transmit(
        new TextEncoder().encode(this.chip.bootBanner(effective, cause)),
        this.chip.bootBannerBaud,
      )
    }
    if (effective === 'flash') {
      if (banner) void this.transmit(new TextEncoder().encode(this.appText()))
      this.startAppTimer()
    }
    this.options.onBoot?.(effective === 'download' ? 'download' : 'flash')
  }

  private appText(): string {
    const text = this.options.app?.text ?? 'FieldFlash emulator: app running\r\n'
    return typeof text === 'function' ? text(this) : text
  }

  private startAppTimer(): void {
    const every = this.options.app?.repeatEveryMs
    if (!every || this.disposed) return
    this.stopAppTimer()
    this.appTimer = setInterval(() => {
      if (this.stateValue === 'app') void this.transmit(new TextEncoder().encode(this.appText()))
    }, every)
    this.appTimer.unref?.()
  }

  private stopAppTimer(): void {
    if (this.appTimer) clearInterval(this.appTimer)
    this.appTimer = undefined
  }

  private resetRegisters(): void {
    this.registers = this.chip.identityRegisters(this.macBytes, this.revision)
    this.registers.set(0x40001000, this.chip.magicValue)
  }

  // ---------------------------------------------------------------- bytes in and out

  private transmit(bytes: Uint8Array, baud = this.deviceBaud): Promise<void> {
    if (this.stateValue === 'unplugged' || this.disposed) return Promise.resolve()
    return this.txLine.send(bytes, baud, this.pacing)
  }

  private onTxDelivered(bytes: Uint8Array, baud: number): void {
    if (this.stateValue === 'unplugged') return
    this.bytesOut += bytes.length
    const onWire = this.linkCarries(baud) ? bytes : this.noise.corrupt(bytes)
    this.host?.receive(onWire, baud)
  }

  private onRxDelivered(bytes: Uint8Array, hostBaud: number): void {
    if (this.stateValue === 'unplugged' || this.disposed) return
    let accepted = bytes
    const limit = this.faults.unplugAfterBytesReceived
    if (limit !== undefined && this.bytesIn + bytes.length >= limit) {
      accepted = bytes.subarray(0, Math.max(0, limit - this.bytesIn))
    }
    this.bytesIn += accepted.length
    const degrade = this.faults.degradeLink
    if (degrade && this.bytesIn >= degrade.afterBytesReceived) {
      this.faults.maxReliableBaud = degrade.maxReliableBaud
      this.faults.degradeLink = undefined
    }
    if (this.stateValue === 'rom' || this.stateValue === 'stub') {
      if (this.stateValue === 'rom' && this.autobaud && !this.isUsbCdc) this.deviceBaud = hostBaud
      const rateMatches = this.isUsbCdc || hostBaud === this.deviceBaud
      const readable = rateMatches && this.linkCarries(hostBaud)
      this.decoder.push(readable ? accepted : this.noise.corrupt(accepted))
    }
    if (limit !== undefined && this.bytesIn >= limit) this.unplug()
  }

  private onFrame(frame: Uint8Array): void {
    const session = this.readFlashSession
    if (session && frame.length === 4) {
      // READ_FLASH acknowledgements: raw 4-byte frames with the total received so far.
      session.acked = new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0, true)
      session.wake?.()
      return
    }
    const marginal = this.faults.corruptLongFrames
    if (marginal && frame.length > marginal.longerThan && this.deviceBaud > marginal.aboveBaud) {
      const spoiled = frame.slice()
      spoiled[spoiled.length - 1] = (spoiled[spoiled.length - 1] ?? 0) ^ 0x01
      frame = spoiled
      this.corruptedFrames++
    }
    this.frames.push(frame)
    void this.processFrames()
  }

  private async processFrames(): Promise<void> {
    if (this.processing) return
    this.processing = true
    try {
      while (this.frames.length > 0) {
        const frame = this.frames.shift()
        if (!frame) break
        const generation = this.generation
        await this.handleFrame(frame, generation)
      }
    } finally {
      this.processing = false
    }
  }

  // ---------------------------------------------------------------- command dispatch

  private async handleFrame(frame: Uint8Array, generation: number): Promise<void> {
    const request = parseRequest(frame)
    if (!request) return // not a request: the loaders ignore it
    const name = commandName(request.op)
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1)
    const loader = this.stateValue
    if (loader !== 'rom' && loader !== 'stub') return
    if (this.unplugsOn(name, request)) return this.unplug()

    if (loader === 'rom' && !this.chip.romCommands.has(request.op)) {
      await this.replyUnsupported(generation, name)
      return
    }
    if (request.declaredSize !== request.data.length) {
      await this.replyError(
        generation,
        request.op,
        RomError.INVALID_MESSAGE,
        StubError.BAD_DATA_LEN,
      )
      return
    }
    await this.dispatch(request, generation)
  }

  /** Whether this request is the one the unplugOn fault waits for. */
  private unplugsOn(name: string, request: RequestPacket): boolean {
    const fault = this.faults.unplugOn
    if (!fault || fault.command !== name) return false
    if (fault.offset !== undefined) {
      const begin = name === 'FLASH_BEGIN' || name === 'FLASH_DEFL_BEGIN'
      if (wordAt(request.data, begin ? 3 : 0) !== fault.offset) return false
    }
    this.unplugTriggers += 1
    return this.unplugTriggers === (fault.occurrence ?? 1)
  }

  private async dispatch(request: RequestPacket, generation: number): Promise<void> {
    const { op, data } = request
    switch (op) {
      case Command.SYNC:
        return this.handleSync(data, generation)
      case Command.READ_REG:
        return this.reply(generation, op, { value: this.readRegister(wordAt(data, 0) ?? 0) })
      case Command.WRITE_REG:
        return this.handleWriteReg(data, generation)
      case Command.MEM_BEGIN:
        return this.handleMemBegin(data, generation)
      case Command.MEM_DATA:
        return this.handleMemData(request, generation)
      case Command.MEM_END:
        return this.handleMemEnd(data, generation)
      case Command.SPI_ATTACH:
        this.spiAttachedValue = true
        return this.reply(generation, op, {})
      case Command.SPI_SET_PARAMS:
        this.spiParams = [0, 1, 2, 3, 4, 5].map((i) => wordAt(data, i) ?? 0)
        return this.reply(generation, op, {})
      case Command.CHANGE_BAUDRATE:
        return this.handleChangeBaudrate(data, generation)
      case Command.FLASH_BEGIN:
      case Command.FLASH_DEFL_BEGIN:
        return this.handleFlashBegin(op, data, generation)
      case Command.FLASH_DATA:
      case Command.FLASH_DEFL_DATA:
        return this.handleFlashData(request, generation)
      case Command.FLASH_END:
      case Command.FLASH_DEFL_END:
        return this.handleFlashEnd(op, data, generation)
      case Command.SPI_FLASH_MD5:
        return this.handleMd5(data, generation)
      case Command.GET_SECURITY_INFO:
        return this.handleSecurityInfo(generation)
      case Command.ERASE_FLASH:
        return this.handleEraseFlash(generation)
      case Command.ERASE_REGION:
        return this.handleEraseRegion(data, generation)
      case Command.READ_FLASH:
        return this.handleReadFlash(data, generation)
      case Command.RUN_USER_CODE:
        this.boot('flash', 'power-on', { banner: true })
        return
      default:
        return this.replyError(generation, op, RomError.INVALID_MESSAGE, StubError.INVALID_COMMAND)
    }
  }

  private async handleSync(data: Uint8Array, generation: number): Promise<void> {
    const valid = data.length === SYNC_PAYLOAD.length && data.every((b, i) => b === SYNC_PAYLOAD[i])
    if (!valid)
      return this.replyError(
        generation,
        Command.SYNC,
        RomError.INVALID_MESSAGE,
        StubError.BAD_DATA_LEN,
      )
    if (this.stateValue === 'stub') return this.reply(generation, Command.SYNC, { value: 0 })
    for (let i = 0; i < ROM_SYNC_RESPONSES; i++) {
      await this.reply(generation, Command.SYNC, { value: ROM_SYNC_VALUE, noDelay: i > 0 })
    }
  }

  private async handleWriteReg(data: Uint8Array, generation: number): Promise<void> {
    if (data.length === 0 || data.length % 16 !== 0) {
      return this.replyError(
        generation,
        Command.WRITE_REG,
        RomError.INVALID_MESSAGE,
        StubError.BAD_DATA_LEN,
      )
    }
    for (let i = 0; i < data.length / 16; i++) {
      const address = wordAt(data, i * 4) ?? 0
      const value = wordAt(data, i * 4 + 1) ?? 0
      const mask = wordAt(data, i * 4 + 2) ?? 0xffffffff
      const delayUs = wordAt(data, i * 4 + 3) ?? 0
      this.writeRegister(address, value, mask)
      if (delayUs > 0) await sleep(delayUs / 1000)
    }
    return this.reply(generation, Command.WRITE_REG, {})
  }

  private readRegister(address: number): number {
    if (this.chip.uartClkdivReg !== undefined && address === this.chip.uartClkdivReg) {
      // The UART divider the ROM derived for the current rate; esptool-js turns it back into the
      // crystal frequency with the host's baud rate.
      return (
        Math.round((this.chip.xtalMhz * 1e6 * this.chip.xtalClkDivider) / this.deviceBaud) & 0xfffff
      )
    }
    return this.registers.get(address >>> 0) ?? 0
  }

  private writeRegister(address: number, value: number, mask: number): void {
    const old = this.registers.get(address >>> 0) ?? 0
    const next = ((old & ~mask) | (value & mask)) >>> 0
    this.registers.set(address >>> 0, next)
    if (address >>> 0 === this.chip.spi.cmd && next & (1 << 18)) this.runSpiUserCommand()
  }

  /** SPI_CMD_USR: run the command in SPI_USR2's low byte and clear the busy bit at once. */
  private runSpiUserCommand(): void {
    const { cmd, usr2, w0 } = this.chip.spi
    const opcode = (this.registers.get(usr2) ?? 0) & 0xff
    if (opcode === 0x9f)
      this.registers.set(w0, this.jedecId) // RDID
    else if (opcode === 0x05 || opcode === 0x35) this.registers.set(w0, 0) // status registers: idle
    this.registers.set(cmd, (this.registers.get(cmd) ?? 0) & ~(1 << 18))
  }

  private async handleMemBegin(data: Uint8Array, generation: number): Promise<void> {
    const [size, blocks, blockSize, offset] = [0, 1, 2, 3].map((i) => wordAt(data, i))
    if (
      size === undefined ||
      blocks === undefined ||
      blockSize === undefined ||
      offset === undefined
    ) {
      return this.replyError(
        generation,
        Command.MEM_BEGIN,
        RomError.INVALID_MESSAGE,
        StubError.BAD_DATA_LEN,
      )
    }
    const segment: MemSegment = {
      offset,
      size,
      blockSize,
      blocks,
      data: new Uint8Array(size),
      received: new Set(),
    }
    this.memSegments.push(segment)
    this.memSegment = segment
    return this.reply(generation, Command.MEM_BEGIN, {})
  }

  private async handleMemData(request: RequestPacket, generation: number): Promise<void> {
    const op = Command.MEM_DATA
    const block = this.dataBlock(request)
    const segment = this.memSegment
    if (!segment || !block)
      return this.replyError(generation, op, RomError.INVALID_MESSAGE, StubError.BAD_DATA_LEN)
    if (this.stateValue === 'rom' && block.payload.length > this.chip.romMaxRamDataBlock) {
      return this.replyError(generation, op, RomError.INVALID_MESSAGE, StubError.TOO_MUCH_DATA)
    }
    if (dataChecksum(block.payload) !== (request.checksum & 0xff)) {
      return this.replyError(generation, op, RomError.INVALID_CRC, StubError.BAD_DATA_CHECKSUM)
    }
    const at = block.seq * segment.blockSize
    if (block.seq >= segment.blocks || at + block.payload.length > segment.size) {
      return this.replyError(generation, op, RomError.INVALID_MESSAGE, StubError.TOO_MUCH_DATA)
    }
    segment.data.set(block.payload, at)
    segment.received.add(block.seq)
    return this.reply(generation, op, {})
  }

  private async handleMemEnd(data: Uint8Array, generation: number): Promise<void> {
    const noExecute = wordAt(data, 0) ?? 1
    const entry = wordAt(data, 1) ?? 0
    await this.reply(generation, Command.MEM_END, {})
    if (noExecute !== 0 || generation !== this.generation) return
    const loaded = this.memSegments.some(
      (s) => s.received.size === s.blocks && entry >= s.offset && entry < s.offset + s.size,
    )
    if (!loaded) {
      this.enterState('crashed')
      return
    }
    // The ROM refuses to run downloaded code (as secure download mode does): it stays the loader.
    if (this.faults.refuseStub) return
    // The uploaded code is the flasher stub: it takes over the UART at the current rate and greets.
    this.enterState('stub')
    this.stubStarts++
    void this.transmit(slipEncode(STUB_GREETING))
  }

  private async handleChangeBaudrate(data: Uint8Array, generation: number): Promise<void> {
    const newBaud = wordAt(data, 0) ?? 0
    if (newBaud <= 0) {
      return this.replyError(
        generation,
        Command.CHANGE_BAUDRATE,
        RomError.INVALID_MESSAGE,
        StubError.BAD_DATA_LEN,
      )
    }
    // The answer leaves at the old rate; the UART switches once it has been sent.
    await this.reply(generation, Command.CHANGE_BAUDRATE, {})
    if (generation !== this.generation) return
    this.deviceBaud = newBaud
    this.autobaud = false
  }

  // ---------------------------------------------------------------- flash writes

  private async handleFlashBegin(op: number, data: Uint8Array, generation: number): Promise<void> {
    const [size, , blockSize, offset] = [0, 1, 2, 3].map((i) => wordAt(data, i))
    if (size === undefined || blockSize === undefined || offset === undefined || blockSize === 0) {
      return this.replyError(generation, op, RomError.INVALID_MESSAGE, StubError.BAD_DATA_LEN)
    }
    this.closeFlashSession()
    const compressed = op === Command.FLASH_DEFL_BEGIN
    const session: FlashWriteSession = {
      compressed,
      offset,
      size,
      blockSize,
      writeAt: offset,
      written: 0,
    }
    if (compressed) session.inflater = new BlockInflater()
    if (this.stateValue === 'rom') {
      // The ROM erases the whole region before it answers (serial-protocol.rst, "Writing Data").
      this.flash.eraseRange(offset, size)
    } else {
      // The stub erases just in time, sector by sector, as data arrives.
      session.lazyErase = { start: offset, end: offset + size, erased: new Set() }
    }
    this.flashSession = session
    return this.reply(generation, op, {})
  }

  private async handleFlashData(request: RequestPacket, generation: number): Promise<void> {
    const { op } = request
    const session = this.flashSession
    const compressed = op === Command.FLASH_DEFL_DATA
    if (!session || session.compressed !== compressed) {
      return this.replyError(generation, op, RomError.INVALID_MESSAGE, StubError.NOT_IN_FLASH_MODE)
    }
    const block = this.dataBlock(request)
    if (!block)
      return this.replyError(generation, op, RomError.INVALID_MESSAGE, StubError.BAD_DATA_LEN)
    if (this.stateValue === 'rom' && block.payload.length > this.chip.romMaxFlashDataBlock) {
      // The ROM's receive buffer takes 0x400-byte blocks; esptool-js 0.7.0 sends 0x4000 without the stub.
      return this.replyError(generation, op, RomError.INVALID_MESSAGE, StubError.TOO_MUCH_DATA)
    }
    if (dataChecksum(block.payload) !== (request.checksum & 0xff)) {
      return this.replyError(generation, op, RomError.INVALID_CRC, StubError.BAD_DATA_CHECKSUM)
    }
    let decoded = block.payload
    if (session.inflater) {
      try {
        decoded = await session.inflater.push(block.payload)
      } catch {
        return this.replyError(generation, op, RomError.DEFLATE, StubError.INFLATE_ERROR)
      }
    }
    if (generation !== this.generation) return
    // The ROM places a block by its sequence number; the stub appends (it does not check them).
    const at =
      this.stateValue === 'rom' && !compressed
        ? session.offset + block.seq * session.blockSize
        : session.writeAt
    this.programFlash(session, at, decoded)
    session.writeAt = at + decoded.length
    session.written += decoded.length
    const cut = this.faults.unplugWhileWriting
    if (cut && cut.offset === session.offset && session.written >= cut.afterBytes) {
      return this.unplug()
    }
    return this.reply(generation, op, {})
  }

  private programFlash(session: FlashWriteSession, at: number, data: Uint8Array): void {
    const lazy = session.lazyErase
    if (lazy && data.length > 0) {
      const first = Math.floor(at / FLASH_SECTOR_SIZE)
      const last = Math.floor((at + data.length - 1) / FLASH_SECTOR_SIZE)
      for (let sector = first; sector <= last; sector++) {
        const start = sector * FLASH_SECTOR_SIZE
        const inRegion = start + FLASH_SECTOR_SIZE > lazy.start && start < lazy.end
        if (inRegion && !lazy.erased.has(sector)) {
          this.flash.eraseSector(start)
          lazy.erased.add(sector)
        }
      }
    }
    this.flash.program(at, data)
  }

  private async handleFlashEnd(op: number, data: Uint8Array, generation: number): Promise<void> {
    const stayOrRunUserCode = (wordAt(data, 0) ?? 1) !== 0
    const session = this.flashSession
    const wasStub = this.stateValue === 'stub'
    if (wasStub && session && session.compressed && session.written < session.size) {
      return this.replyError(generation, op, RomError.INVALID_MESSAGE, StubError.NOT_ENOUGH_DATA)
    }
    this.closeFlashSession()
    await this.reply(generation, op, {})
    if (generation !== this.generation) return
    // ROM: 1 = "run user code", 0 = reboot; both leave the loader. Stub: 1 = stay, 0 = reboot.
    if (!wasStub || !stayOrRunUserCode) this.boot('flash', 'power-on', { banner: true })
  }

  private closeFlashSession(): void {
    this.flashSession?.inflater?.close()
    this.flashSession = undefined
  }

  private async handleMd5(data: Uint8Array, generation: number): Promise<void> {
    const address = wordAt(data, 0)
    const size = wordAt(data, 1)
    if (address === undefined || size === undefined) {
      return this.replyError(
        generation,
        Command.SPI_FLASH_MD5,
        RomError.INVALID_MESSAGE,
        StubError.BAD_DATA_LEN,
      )
    }
    const digest = this.flash.md5(address, size)
    // The ROM answers 32 hex-coded ASCII characters, the stub 16 raw bytes (serial-protocol.rst).
    const body =
      this.stateValue === 'rom'
        ? new TextEncoder().encode(digest.toString('hex'))
        : new Uint8Array(digest)
    return this.reply(generation, Command.SPI_FLASH_MD5, { body })
  }

  private async handleSecurityInfo(generation: number): Promise<void> {
    const chipId = this.chip.securityInfoChipId
    if (chipId === undefined) {
      return this.replyError(
        generation,
        Command.GET_SECURITY_INFO,
        RomError.INVALID_MESSAGE,
        StubError.INVALID_COMMAND,
      )
    }
    // flags (u32), flash_crypt_cnt (u8), key purposes (7 × u8) = 0, chip id (u32), API version (u32) = 0.
    const body = new Uint8Array(20)
    const view = new DataView(body.buffer)
    view.setUint32(0, this.options.security?.flags ?? 0, true)
    body[4] = this.options.security?.flashCryptCnt ?? 0
    view.setUint32(12, chipId, true)
    return this.reply(generation, Command.GET_SECURITY_INFO, { body })
  }

  private async handleEraseFlash(generation: number): Promise<void> {
    if (this.options.chipEraseMs) await sleep(this.options.chipEraseMs)
    if (generation !== this.generation) return
    this.flash.eraseAll()
    return this.reply(generation, Command.ERASE_FLASH, {})
  }

  private async handleEraseRegion(data: Uint8Array, generation: number): Promise<void> {
    const offset = wordAt(data, 0)
    const size = wordAt(data, 1)
    if (
      offset === undefined ||
      size === undefined ||
      offset % FLASH_SECTOR_SIZE ||
      size % FLASH_SECTOR_SIZE
    ) {
      return this.replyError(
        generation,
        Command.ERASE_REGION,
        RomError.INVALID_MESSAGE,
        StubError.BAD_DATA_LEN,
      )
    }
    this.flash.eraseRange(offset, size)
    return this.reply(generation, Command.ERASE_REGION, {})
  }

  /**
   * Stub READ_FLASH: answer the command, then send raw data packets, at most `maxUnacked` ahead of
   * the host's acknowledgements (4-byte totals), then the 16-byte MD5 of everything sent.
   */
  private async handleReadFlash(data: Uint8Array, generation: number): Promise<void> {
    const [offset, length, packetSize, maxUnacked] = [0, 1, 2, 3].map((i) => wordAt(data, i))
    if (offset === undefined || length === undefined || !packetSize || !maxUnacked) {
      return this.replyError(
        generation,
        Command.READ_FLASH,
        RomError.INVALID_MESSAGE,
        StubError.BAD_DATA_LEN,
      )
    }
    await this.reply(generation, Command.READ_FLASH, {})
    const session: ReadFlashSession = { acked: 0, wake: undefined }
    this.readFlashSession = session
    const waitForAck = (): Promise<void> =>
      new Promise((resolve) => {
        session.wake = () => {
          session.wake = undefined
          resolve()
        }
      })
    let sent = 0
    try {
      while (session.acked < length) {
        if (generation !== this.generation) return
        const inFlight = Math.ceil((sent - session.acked) / packetSize)
        if (sent < length && inFlight < maxUnacked) {
          const chunk = this.flash.read(offset + sent, Math.min(packetSize, length - sent))
          sent += chunk.length
          await this.transmit(slipEncode(chunk))
        } else {
          await waitForAck()
        }
      }
      if (generation !== this.generation) return
      await this.transmit(slipEncode(new Uint8Array(this.flash.md5(offset, length))))
    } finally {
      if (this.readFlashSession === session) this.readFlashSession = undefined
    }
  }

  // ---------------------------------------------------------------- replies

  private dataBlock(request: RequestPacket): { seq: number; payload: Uint8Array } | undefined {
    const length = wordAt(request.data, 0)
    const seq = wordAt(request.data, 1)
    if (length === undefined || seq === undefined || request.data.length !== 16 + length)
      return undefined
    return { seq, payload: request.data.subarray(16) }
  }

  private statusBytes(errorCode: number | undefined): Uint8Array {
    const length = this.stateValue === 'stub' ? 2 : this.chip.romStatusLength
    const status = new Uint8Array(length)
    if (errorCode !== undefined) {
      status[0] = 1
      status[1] = errorCode
    }
    return status
  }

  private async responseDelay(op: number): Promise<void> {
    const name = commandName(op) as CommandName
    const delay =
      (this.faults.responseDelayMs ?? 0) + (this.faults.responseDelayByCommand?.[name] ?? 0)
    if (delay > 0) await sleep(delay)
  }

  private async reply(
    generation: number,
    op: number,
    {
      value = 0,
      body = new Uint8Array(0),
      noDelay = false,
    }: { value?: number; body?: Uint8Array; noDelay?: boolean },
  ): Promise<void> {
    if (!noDelay) await this.responseDelay(op)
    if (generation !== this.generation) return
    await this.transmit(slipEncode(buildResponse(op, value, body, this.statusBytes(undefined))))
  }

  private async replyError(
    generation: number,
    op: number,
    romCode: number,
    stubCode: number,
  ): Promise<void> {
    await this.responseDelay(op)
    if (generation !== this.generation) return
    const loader = this.stateValue === 'stub' ? 'stub' : 'rom'
    const code = loader === 'stub' ? stubCode : romCode
    this.errors.push({ command: commandName(op), code, loader })
    await this.transmit(slipEncode(buildResponse(op, 0, new Uint8Array(0), this.statusBytes(code))))
  }

  private async replyUnsupported(generation: number, name: string): Promise<void> {
    await this.responseDelay(-1)
    if (generation !== this.generation) return
    this.errors.push({ command: name, code: RomError.INVALID_MESSAGE, loader: 'rom' })
    const frame = slipEncode(
      buildResponse(
        ROM_UNSUPPORTED_REPLY_OP,
        0,
        new Uint8Array(0),
        this.statusBytes(RomError.INVALID_MESSAGE),
      ),
    )
    for (let i = 0; i < ROM_UNSUPPORTED_REPLIES; i++) await this.transmit(frame)
  }
}
