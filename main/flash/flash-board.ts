import { createHash } from 'node:crypto'
import { promisify } from 'node:util'
import { deflate } from 'node:zlib'
import { ESPError, ESPLoader, TimeoutError, Transport } from 'esptool-js'
import type { Board } from '../boards/board-schema'
import { FieldFlashError } from '../shared/errors'
import type {
  BeforeMode,
  BoardSecurity,
  FlashEvent,
  FlashFailure,
  FlashResult,
  FlashStage,
  FlashedPart,
} from './flash-events'
import { resetIntoFirmware } from '../serial/board-reset'
import { bridgeName, startingBaud } from '../serial/usb-bridges'
import { FLASH_BAUD_RATES, ROM_BAUD, isFlashBaud } from '../../common/baud-rates'
import { LinkRate } from './link-rate'
import { LinearTransport } from './linear-transport'
import { usePort, type PortLease } from '../leases/port-lease'
import { SerialportDevice } from '../serial/serialport-device'

/** A part to write: where, what, and the MD5 the board must report afterwards. */
export interface FlashPart {
  name: string
  offset: number
  data: Uint8Array
}

/** What the firmware loader hands the flasher (validated before the board is touched). */
export interface FlashImage {
  name: string
  sha256: string
  parts: FlashPart[]
}

export type { BeforeMode, BoardSecurity }

export interface FlashRequest {
  port: { path: string; vid?: string | null; pid?: string | null }
  /** The board the technician selected; its chip family must match the detected chip. */
  board: Board | null
  /** Loads and validates the firmware once the chip and flash size are known. */
  loadImage: (detected: { chip: string; flashSizeBytes: number | null }) => Promise<FlashImage>
  baud?: number
  erase?: boolean
  before?: BeforeMode
  /**
   * Before writing a part, ask the board for the MD5 of its region and skip the part when it is
   * already there (re-provisioning a board that carries the base firmware writes only its config).
   */
  skipUnchanged?: boolean
  /**
   * Called once per part, just before the board is first asked to write it (or found to hold it
   * already); throwing ends the job before that part is touched. Provisioning commits the new
   * token here, so a job that fails before the config partition leaves the old one current.
   */
  beforeWriting?: (part: FlashPart) => Promise<void> | void
  /** The port, when the caller's job already holds it (a board session); else flashing takes it. */
  lease?: PortLease | null
}

/** A board-shaped Web Serial port; the real one is a SerialportDevice, tests may pass the emulator. */
export type WebSerialLikePort = ConstructorParameters<typeof Transport>[0] & {
  addEventListener?: (type: 'disconnect', listener: () => void) => void
}

export interface FlashDependencies {
  openPort: (
    request: FlashRequest,
    warn: (message: string) => void,
  ) => WebSerialLikePort & { close?: () => Promise<void> }
  now: () => number
}

/** The ESP32 ROM rejects compressed blocks larger than this; esptool uses it on the ROM path. */
const ROM_FLASH_WRITE_SIZE = 0x400
const SPI_FLASH_MD5 = 0x13

export const defaultFlashDependencies: FlashDependencies = {
  openPort: (request, warn) =>
    new SerialportDevice({
      path: request.port.path,
      usbVendorId: request.port.vid ? parseInt(request.port.vid, 16) : undefined,
      usbProductId: request.port.pid ? parseInt(request.port.pid, 16) : undefined,
      onWarning: warn,
    }) as unknown as WebSerialLikePort,
  now: () => performance.now(),
}

const deflateAsync = promisify(deflate)

/** What a job does with the board once the loader answers: flash it, or read it back. */
export interface LoaderPurpose {
  /** Who holds the port meanwhile, in words. */
  holder: string
  /** Said when the job is cancelled. */
  cancelled: string
  /** How to put it right when the link fails ("flash again"). */
  again: string
  /** Whether a lost board may hold a partial image (it was being written). */
  writes: boolean
  /** What the job does, for the log ("Flashing", "Reading"). */
  verb: string
}

/** A board whose ROM loader (or stub) answers, its chip and flash found, ready for `work`. */
export interface LoaderSession {
  loader: ESPLoader
  port: WebSerialLikePort & { close?: () => Promise<void> }
  chip: string
  mac: string
  /** True when the stub flasher runs (the normal, fast path). */
  stub: boolean
  link: LinkRate
  flashSize: string | null
  flashSizeBytes: number | null
  /** What the chip's ROM says of its security; null when its ROM cannot say (ESP32, ESP8266). */
  security: BoardSecurity | null
  /** Runs one step of the job; rejects at once when it is cancelled or the board goes away. */
  step<T>(work: Promise<T>): Promise<T>
  enter(stage: FlashStage, message: string): void
  log(message: string, level?: 'info' | 'warning'): void
  /** Milliseconds since the session started (the dependencies' clock). */
  elapsedMs(): number
}

/**
 * Connects to a board's ROM loader with the reset that fits the port, detects chip, MAC and flash
 * size, starts the stub and raises the rate, then runs `work`. Progress goes to `emit`; `signal`
 * cancels at any moment; a failure is a result, never a throw; the port is taken for the job (or
 * the caller's lease used) and released on every path.
 */
export async function withLoader<T extends { ok: true }>(
  request: Pick<FlashRequest, 'port' | 'board' | 'baud' | 'before' | 'lease'>,
  purpose: LoaderPurpose,
  emit: (event: FlashEvent) => void,
  signal: AbortSignal | undefined,
  deps: FlashDependencies,
  work: (session: LoaderSession) => Promise<T>,
): Promise<T | FlashFailure> {
  const path = request.port.path
  let stage: FlashStage = 'preparing'
  const started = deps.now()
  // Without a rate asked for, the port's USB bridge decides: each has its own reliable ceiling.
  const baud = request.baud ?? startingBaud(request.port.vid, request.port.pid)
  if (!isFlashBaud(baud)) {
    return {
      ok: false,
      stage,
      code: 'invalid_input',
      message: `baud: must be one of ${FLASH_BAUD_RATES.join(', ')}`,
    }
  }
  let portUse: ReturnType<typeof usePort>
  try {
    portUse = usePort(path, purpose.holder, request.lease)
  } catch (error) {
    if (error instanceof FieldFlashError) return failureOf(error, stage)
    throw error
  }

  const log = (message: string, level: 'info' | 'warning' = 'info'): void =>
    emit({ type: 'log', level, message })
  const enter = (next: FlashStage, message: string): void => {
    stage = next
    emit({ type: 'stage', stage: next, message })
  }

  let port: (WebSerialLikePort & { close?: () => Promise<void> }) | null = null
  let transport: Transport | null = null
  // Resolves the race below as soon as the job must stop: cancelled or the device vanished.
  let interrupt!: (error: FieldFlashError) => void
  const interrupted = new Promise<never>((_, reject) => {
    interrupt = reject
  })
  interrupted.catch(() => undefined)
  const onAbort = (): void => interrupt(new FieldFlashError('cancelled', purpose.cancelled))
  if (signal?.aborted) onAbort()
  signal?.addEventListener('abort', onAbort, { once: true })
  const step = <R>(work: Promise<R>): Promise<R> => Promise.race([work, interrupted])

  try {
    enter('connecting', `Opening ${path}…`)
    // A port without DTR/RTS cannot reset the board: what the technician does about it depends on
    // the step (before the write, the board must already be in download mode; after, press EN).
    port = deps.openPort(request as FlashRequest, (message) =>
      log(
        `${message} ${
          stage === 'resetting'
            ? "Press the board's EN (RST) button to start the new firmware."
            : 'The board must already be in download mode: hold BOOT, tap EN (RST), release BOOT.'
        }`,
        'warning',
      ),
    )
    // esptool-js never reports a lost device itself (its DOMException branch is unreachable, since
    // DOMException is an Error): listen for Web Serial's `disconnect` event instead.
    const onDisconnect = (): void => interrupt(lostError(path, purpose))
    port.addEventListener?.('disconnect', onDisconnect)
    transport = new LinearTransport(port, false)
    // Transport.trace() prints to stdout even with tracing off (read-loop exits, flash size); that
    // would corrupt the CLI's JSON lines and the app's log. FieldFlash reports through `emit`.
    transport.trace = () => undefined
    const loader = new ESPLoader({
      transport,
      baudrate: baud,
      romBaudrate: ROM_BAUD,
      terminal: {
        clean: () => undefined,
        writeLine: (line: string) => logLoaderLine(line, log),
        write: (text: string) => logLoaderLine(text, log),
      },
      debugLogging: false,
    })

    const before = request.before ?? 'default_reset'
    try {
      // Fewer attempts than esptool-js's default: a board that is not in download mode is reported
      // within seconds, with what to do, instead of after a minute of retries.
      await step(loader.connect(before, before === 'no_reset' ? 3 : 5, true))
    } catch (error) {
      throw mapStageError(error, 'connecting', path, before, purpose)
    }

    log(
      request.baud === undefined
        ? `${purpose.verb} at ${baud} baud, the rate ${bridgeName(request.port.vid ?? null, request.port.pid ?? null) ?? 'an unknown USB bridge'} carries reliably.`
        : `${purpose.verb} at ${baud} baud, as asked.`,
    )
    enter('detecting', 'Detecting the chip…')
    const chip = loader.chip.CHIP_NAME
    const mac = await step(loader.chip.readMac(loader))
    log(`Chip is ${chip}, MAC ${mac}`)
    if (request.board && request.board.chipFamily !== chip) {
      throw new FieldFlashError(
        'chip_mismatch',
        `The board on ${path} has an ${chip}, but ${request.board.name} (${request.board.chipFamily}) is selected. Choose the matching board, or plug in the right one.`,
      )
    }

    // Asked of the ROM before the stub runs: only the ROM answers it for certain.
    const security = await step(readSecurity(loader))
    if (security) {
      log(
        `Security: secure boot ${security.secureBoot ? 'on' : 'off'}, flash encryption ${security.flashEncryption ? 'on' : 'off'}${security.secureDownloadMode ? ', secure download mode' : ''}.`,
      )
    }

    enter('loading-stub', 'Starting the flasher stub…')
    let stub = true
    let stubFailure = 'the board did not run it'
    try {
      await step(loader.runStub())
      stub = loader.IS_STUB
    } catch (error) {
      if (error instanceof FieldFlashError) throw error
      stub = false
      stubFailure = firstLine(error)
    }
    if (!stub) {
      // The ROM loader accepts only small compressed blocks and answers MD5 in another format;
      // both are handled below. It is slower, so say so, and why.
      loader.FLASH_WRITE_SIZE = ROM_FLASH_WRITE_SIZE
      log(
        `The flasher stub could not be started (${stubFailure}); ${purpose.writes ? 'writing' : 'reading'} through the ROM loader (slower).`,
        'warning',
      )
    }

    const link = new LinkRate(loader, {
      before,
      warn: (message) => log(message, 'warning'),
      step,
    })
    if (baud !== ROM_BAUD && stub) {
      enter('changing-baud', `Switching to ${baud} baud…`)
      await link.raiseTo(baud)
    }

    let sizeFailure = 'the flash chip id is not one esptool-js knows'
    const flashSize = await step(loader.detectFlashSize()).catch((error: unknown) => {
      if (error instanceof FieldFlashError) throw error
      sizeFailure = firstLine(error)
      return undefined
    })
    if (!flashSize) {
      log(
        `The flash size could not be detected (${sizeFailure}); the image is not checked against it.`,
        'warning',
      )
    }
    const flashSizeBytes = flashSize ? loader.flashSizeBytes(flashSize as never) : null
    if (flashSize) log(`Flash size ${flashSize}`)
    return await work({
      loader,
      port,
      chip,
      mac,
      stub,
      link,
      flashSize: flashSize ?? null,
      flashSizeBytes,
      security,
      step,
      enter,
      log,
      elapsedMs: () => deps.now() - started,
    })
  } catch (error) {
    const failure =
      error instanceof FieldFlashError
        ? error
        : mapStageError(error, stage, path, request.before ?? 'default_reset', purpose)
    return failureOf(failure, stage)
  } finally {
    signal?.removeEventListener('abort', onAbort)
    await releasePort(transport, port)
    portUse.done()
  }
}

/**
 * Flashes a board: connect with the reset that fits the port, detect chip, MAC and flash size,
 * refuse a chip or size mismatch before erasing anything, write every part compressed through the
 * stub flasher, verify each by MD5, hard-reset. Progress goes to `emit`; `signal` cancels at any
 * moment; the result is a value, never a throw; the port is released on every path.
 */
export async function flashBoard(
  request: FlashRequest,
  emit: (event: FlashEvent) => void,
  signal?: AbortSignal,
  deps: FlashDependencies = defaultFlashDependencies,
): Promise<FlashResult> {
  const purpose: LoaderPurpose = {
    holder: `flashing ${request.board?.name ?? 'a board'}`,
    cancelled:
      'Flashing was cancelled. The board may hold a partial image: flash it again before use.',
    again: 'flash again',
    writes: true,
    verb: 'Flashing',
  }
  return withLoader(request, purpose, emit, signal, deps, async (session) => {
    const { loader, step, enter, chip, flashSize, flashSizeBytes } = session
    if (session.security?.flashEncryption) {
      // FieldFlash writes plaintext: an encrypting board would read its app and its config
      // partition as noise (and a config partition in the clear next to encrypted flash leaks).
      throw new FieldFlashError(
        'invalid_state',
        `The board on ${request.port.path} has flash encryption on (FLASH_CRYPT_CNT ${session.security.flashCryptCnt}): FieldFlash writes plaintext images and a plaintext config partition, which this board would read as noise. Nothing was written. Provision it with your encryption workflow (esptool --encrypt and your key), or use a board without flash encryption.`,
      )
    }
    const image = await request.loadImage({ chip, flashSizeBytes })
    const flashEnd = flashSizeBytes ?? Infinity
    for (const part of image.parts) {
      if (part.offset + part.data.length > flashEnd) {
        throw new FieldFlashError(
          'image_too_large',
          `${part.name} (${part.data.length} bytes at 0x${part.offset.toString(16)}) does not fit the board's ${flashSize} flash. Use a build for this flash size.`,
        )
      }
    }

    if (request.erase) {
      enter('erasing', 'Erasing the whole flash…')
      await step(loader.eraseFlash())
    }

    // The build's own bootloader header is written as built: PlatformIO and ESP-IDF already put the
    // board's flash settings there, and esptool-js 0.7.0's rewrite does not recompute the appended
    // SHA-256 of the bootloader (it tests byte 23 against '1' instead of 1), which would brick it.
    const written = await writeParts(
      loader,
      session.link,
      image.parts,
      emit,
      enter,
      step,
      deps.now,
      session.stub,
      Boolean(request.skipUnchanged) && !request.erase,
      request.beforeWriting,
    )

    enter('resetting', 'Resetting the board into the new firmware…')
    const board = session.port
    await step(
      resetIntoFirmware(({ dtr, rts }) =>
        board.setSignals({ dataTerminalReady: dtr, requestToSend: rts }),
      ),
    )
    return {
      ok: true as const,
      port: request.port.path,
      chip,
      mac: session.mac,
      flashSize: flashSize ?? 'unknown',
      baud: session.link.baud,
      stub: session.stub,
      firmwareName: image.name,
      firmwareSha256: image.sha256,
      parts: written,
      durationMs: Math.round(session.elapsedMs()),
    }
  })
}

async function writeParts(
  loader: ESPLoader,
  link: LinkRate,
  parts: FlashPart[],
  emit: (event: FlashEvent) => void,
  enter: (stage: FlashStage, message: string) => void,
  step: <T>(work: Promise<T>) => Promise<T>,
  now: () => number,
  stub: boolean,
  skipUnchanged: boolean,
  beforeWriting: FlashRequest['beforeWriting'],
): Promise<FlashedPart[]> {
  const prepared = []
  for (const part of parts) {
    const data = padTo4(part.data)
    // Node's native zlib instead of esptool-js's pako level 9: same format, several times faster,
    // and on libuv's thread pool, so the process (the app's main) stays responsive meanwhile.
    const compressed = await step(deflateAsync(data, { level: 9 }))
    prepared.push({ part, data, compressed, md5: await md5InSlices(data) })
  }
  const overallTotal = prepared.reduce((sum, p) => sum + p.data.length, 0)
  let overallWritten = 0
  const started = now()
  const results: FlashedPart[] = []
  const announced = new Set<FlashPart>()
  const announce = async (part: FlashPart): Promise<void> => {
    if (announced.has(part)) return
    announced.add(part)
    await step(Promise.resolve(beforeWriting?.(part)))
  }

  const progress = (index: number, part: FlashPart, partWritten: number, size: number): void => {
    const elapsed = (now() - started) / 1000
    const bytesPerSecond = elapsed > 0 ? overallWritten / elapsed : 0
    emit({
      type: 'progress',
      part: part.name,
      partIndex: index,
      partCount: prepared.length,
      bytesWritten: partWritten,
      bytesTotal: size,
      overallWritten,
      overallTotal,
      percent: (100 * overallWritten) / overallTotal,
      bytesPerSecond,
      secondsLeft: bytesPerSecond > 0 ? (overallTotal - overallWritten) / bytesPerSecond : null,
    })
  }

  for (let index = 0; index < prepared.length;) {
    const { part, data, compressed, md5 } = prepared[index]!
    let partWritten = 0
    try {
      if (skipUnchanged) {
        enter('verifying', `Checking whether ${part.name} is already on the board…`)
        if ((await step(readFlashMd5(loader, part.offset, data.length, stub))) === md5) {
          await announce(part)
          emit({
            type: 'log',
            level: 'info',
            message: `${part.name} at 0x${part.offset.toString(16)} is already on the board (MD5 ${md5}); skipped.`,
          })
          overallWritten += data.length
          progress(index, part, data.length, data.length)
          results.push({
            name: part.name,
            offset: part.offset,
            size: data.length,
            md5,
            skipped: true,
          })
          index++
          continue
        }
      }
      await announce(part)
      enter('writing', `Writing ${part.name} at 0x${part.offset.toString(16)}…`)
      const blocks = await step(loader.flashDeflBegin(data.length, compressed.length, part.offset))
      const blockSize = loader.FLASH_WRITE_SIZE
      // The stub acknowledges a block on receipt and writes it while the next one arrives, so the
      // wait for an acknowledgement must cover erasing and writing the previous block.
      const blockTimeout = Math.max(
        3000,
        loader.timeoutPerMb(loader.ERASE_WRITE_TIMEOUT_PER_MB, blockSize * 4),
      )
      for (let seq = 0; seq < blocks; seq++) {
        const block = compressed.subarray(
          seq * blockSize,
          Math.min(compressed.length, (seq + 1) * blockSize),
        )
        await step(loader.flashDeflBlock(block, seq, blockTimeout))
        // Uncompressed progress in proportion to the compressed bytes sent: exact at the end of
        // each part, without inflating every block again just to count (what esptool-js does).
        const nextWritten = Math.round(
          (data.length * Math.min(compressed.length, (seq + 1) * blockSize)) / compressed.length,
        )
        overallWritten += nextWritten - partWritten
        partWritten = nextWritten
        progress(index, part, partWritten, data.length)
      }
      if (stub) await step(loader.flashDeflFinish(false, blockTimeout))

      enter('verifying', `Verifying ${part.name}…`)
      const reported = await step(readFlashMd5(loader, part.offset, data.length, stub))
      if (reported !== md5) {
        throw new FieldFlashError(
          'verify_failed',
          `Verification failed for ${part.name} at 0x${part.offset.toString(16)}: the board reports MD5 ${reported}, expected ${md5}. Flash again; if it repeats, try a lower baud rate or another cable.`,
        )
      }
      results.push({ name: part.name, offset: part.offset, size: data.length, md5, skipped: false })
      index++
    } catch (error) {
      // Cancellation, a lost board and a wrong MD5 end the job; a link that stopped carrying the
      // blocks (esptool-js has already resent each one) gets a lower rate and this part anew.
      if (error instanceof FieldFlashError || !stub || !link.canStepDown) throw error
      await link.stepDown(`Writing ${part.name} failed (${firstLine(error)})`)
      overallWritten -= partWritten
      progress(index, part, 0, data.length)
    }
  }
  return results
}

/**
 * The chip's security state from its ROM, or null when the ROM has no such command (ESP32,
 * ESP8266) or answers it oddly: then nothing can be said, and nothing is refused on its account.
 */
async function readSecurity(loader: ESPLoader): Promise<BoardSecurity | null> {
  if (loader.chip.CHIP_NAME === 'ESP32' || loader.chip.CHIP_NAME === 'ESP8266') return null
  try {
    const info = await loader.getSecurityInfo()
    const bits = (info.flashCryptCnt ?? 0).toString(2).replace(/0/g, '').length
    return {
      secureBoot: Boolean(info.parsedFlags?.SECURE_BOOT_EN),
      flashEncryption: bits % 2 === 1,
      flashCryptCnt: info.flashCryptCnt ?? 0,
      secureDownloadMode: Boolean(info.parsedFlags?.SECURE_DOWNLOAD_ENABLE),
    }
  } catch (error) {
    if (error instanceof FieldFlashError) throw error
    return null
  }
}

/** A failure as a result: its code, its message, and whether the input is at fault. */
export function failureOf(error: FieldFlashError, stage: FlashStage): FlashFailure {
  return {
    ok: false,
    stage,
    code: error.code,
    message: error.message,
    badInput: error.badInput,
    field: error.field,
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0]!.trim()
}

/**
 * Asks the board for the MD5 of a flash region. The stub answers with 16 raw bytes, the ROM with 32
 * ASCII hex digits; esptool-js hex-encodes both, which turns the ROM's answer into a false mismatch.
 */
export async function readFlashMd5(
  loader: ESPLoader,
  offset: number,
  size: number,
  stub: boolean,
): Promise<string> {
  const timeout = loader.timeoutPerMb(loader.MD5_TIMEOUT_PER_MB, size)
  const args = new Uint8Array(16)
  const view = new DataView(args.buffer)
  view.setUint32(0, offset, true)
  view.setUint32(4, size, true)
  const response = (await loader.checkCommand(
    'calculate md5sum',
    SPI_FLASH_MD5,
    args,
    undefined,
    stub ? 16 : 32,
    timeout,
  )) as Uint8Array
  return stub
    ? Buffer.from(response).toString('hex')
    : Buffer.from(response).toString('ascii').toLowerCase()
}

/** MD5 of a large image, hashed in slices with a turn of the event loop between them. */
async function md5InSlices(data: Uint8Array): Promise<string> {
  const hash = createHash('md5')
  const slice = 256 * 1024
  for (let at = 0; at < data.length; at += slice) {
    hash.update(data.subarray(at, at + slice))
    await new Promise((resolve) => setImmediate(resolve))
  }
  return hash.digest('hex')
}

function padTo4(data: Uint8Array): Uint8Array {
  if (data.length % 4 === 0) return data
  const padded = new Uint8Array(data.length + (4 - (data.length % 4))).fill(0xff)
  padded.set(data)
  return padded
}

function lostError(path: string, purpose: LoaderPurpose): FieldFlashError {
  return new FieldFlashError(
    'device_lost',
    `The board on ${path} disappeared (unplugged or reset). Plug it back in and ${purpose.again}${purpose.writes ? '; the image on it is incomplete' : ''}.`,
  )
}

/**
 * What an error means at the stage it stopped the job. esptool-js 0.7 throws `ESPError` (and, for
 * timeouts, its subclass `TimeoutError`) when the board does not answer as the loader protocol
 * says; any other error comes from the port itself. Decided by class and stage, never by text.
 */
function mapStageError(
  error: unknown,
  stage: FlashStage,
  path: string,
  before: BeforeMode,
  purpose: LoaderPurpose,
): FieldFlashError {
  if (error instanceof FieldFlashError) return error
  const cause = firstLine(error)
  const during = stage.replace('-', ' ')
  if (stage === 'connecting' && error instanceof ESPError) {
    const how =
      before === 'no_reset'
        ? 'Put it in download mode by hand: hold BOOT, tap EN (RST), release BOOT, then retry.'
        : 'Hold BOOT, tap EN (RST), release BOOT, then retry. If it still fails, try another USB cable or port.'
    return new FieldFlashError(
      'not_in_bootloader',
      `The board on ${path} did not answer the ROM loader: it is not in download mode. ${how}`,
      undefined,
      { cause: error },
    )
  }
  if (error instanceof TimeoutError) {
    return new FieldFlashError(
      'timeout',
      `The board on ${path} stopped answering while ${during}. Check the cable, try a lower baud rate, then ${purpose.again}.`,
      undefined,
      { cause: error },
    )
  }
  if (error instanceof ESPError) {
    return new FieldFlashError(
      'link_failed',
      `The board on ${path} stopped answering as it should while ${during} (${cause}). Check the cable, try a lower baud rate, then ${purpose.again}.`,
      undefined,
      { cause: error },
    )
  }
  return new FieldFlashError(
    'link_failed',
    `The serial link to ${path} failed while ${during}: ${cause}. Try another cable or USB port, then ${purpose.again}.`,
    undefined,
    { cause: error },
  )
}

/** Disconnects esptool-js's transport (stopping its read loop) and closes the port, whatever state they are in. */
async function releasePort(
  transport: Transport | null,
  port: { close?: () => Promise<void> } | null,
): Promise<void> {
  try {
    if (transport) await withTimeout(transport.disconnect(), 2000)
  } catch {
    // The port may already be gone; closing below is what matters.
  }
  try {
    if (port?.close) await withTimeout(port.close(), 2000)
  } catch {
    // Nothing more can be done; the OS releases the handle with the process.
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([
    work,
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref()),
  ])
}

/** Passes esptool-js's own progress chatter through as log lines, minus the per-block noise. */
function logLoaderLine(text: string, log: (message: string) => void): void {
  const line = text.trim()
  if (line === '' || /^Writing at 0x/.test(line)) return
  log(line)
}

export type { FlashResult }
