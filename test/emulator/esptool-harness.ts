// Test helpers to drive the real esptool-js 0.7.0 against an emulated board.

import { createHash } from 'node:crypto'
import { ESPLoader, Transport, type FlashOptions, type IEspLoaderTerminal } from 'esptool-js'

export interface LoaderRun {
  loader: ESPLoader
  transport: Transport
  /** Everything esptool-js wrote to its terminal, one entry per line. */
  lines: string[]
  /** The terminal output as one string. */
  output(): string
}

/** Builds an ESPLoader + Transport on a Web-Serial-like port, capturing its terminal output. */
export function createLoader(
  port: unknown,
  options: { baudrate?: number; romBaudrate?: number; debugLogging?: boolean } = {},
): LoaderRun {
  const lines: string[] = []
  let partial = ''
  const terminal: IEspLoaderTerminal = {
    clean: () => {},
    writeLine: (text) => {
      lines.push(partial + text)
      partial = ''
    },
    write: (text) => {
      partial += text
    },
  }
  // esptool-js types the port as the DOM SerialPort; the emulator ports implement the part it uses.
  const transport = new Transport(port as ConstructorParameters<typeof Transport>[0], false)
  const loader = new ESPLoader({
    transport,
    baudrate: options.baudrate ?? 115200,
    romBaudrate: options.romBaudrate,
    terminal,
    debugLogging: options.debugLogging ?? false,
  })
  return { loader, transport, lines, output: () => [...lines, partial].join('\n') }
}

/** Lowercase hex MD5, the form esptool-js compares with the flash's answer. */
export function md5Hex(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex')
}

/** Deterministic incompressible bytes. */
export function noiseImage(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size)
  let state = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    out[i] = state & 0xff
  }
  return out
}

/** Deterministic, highly compressible bytes (a repeating text), starting with `prefix`. */
export function textImage(size: number, prefix = ''): Uint8Array {
  const text = prefix + 'FieldFlash test image. '.repeat(Math.ceil(size / 23))
  return new TextEncoder().encode(text).slice(0, size)
}

/** Flash options as a flashing app would pass them, with MD5 verification. */
export function flashOptions(
  files: { data: Uint8Array; address: number }[],
  compress = true,
): FlashOptions {
  return {
    fileArray: files,
    flashMode: 'keep',
    flashFreq: 'keep',
    flashSize: 'keep',
    eraseAll: false,
    compress,
    calculateMD5Hash: md5Hex,
  }
}

/** Runs `work` and reports how it ended and how long it took. */
export async function timed<T>(
  work: () => Promise<T>,
): Promise<{ ok: true; value: T; ms: number } | { ok: false; error: unknown; ms: number }> {
  const start = performance.now()
  try {
    const value = await work()
    return { ok: true, value, ms: performance.now() - start }
  } catch (error) {
    return { ok: false, error, ms: performance.now() - start }
  }
}

/** Closes the transport's port if it is still open (after a test, pass or fail). */
export async function disconnectQuietly(run: LoaderRun): Promise<void> {
  try {
    await run.transport.disconnect()
  } catch {
    // already closed or the device is gone
  }
}
