import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { flashBoard, type FlashImage } from '../main/flash/flash-board'
import { startPtyEmulator } from '../devkit/pty'

/** A firmware-like 1 MiB image: code-like text and tables that compress about as a real app does. */
export function firmwareLike(size: number): Uint8Array {
  const out = Buffer.alloc(size)
  const words = [
    'esp_wifi_',
    'mqtt_client_',
    'xTaskCreate',
    'nvs_get_',
    'ESP_LOGI',
    'vTaskDelay',
    '0123456789abcdef',
  ]
  let at = 0
  let seed = 12345
  while (at < size) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    if (seed % 3 === 0) {
      const chunk = randomBytes(Math.min(64, size - at))
      chunk.copy(out, at)
      at += chunk.length
    } else {
      at += out.write(words[seed % words.length]! + String(seed % 997), at)
    }
  }
  out[0] = 0xe9
  return new Uint8Array(out)
}

async function flashOnce(label: string, data: Uint8Array, baud: number): Promise<void> {
  const board = await startPtyEmulator({ chip: 'ESP32', flashSize: 4 * 1024 * 1024 })
  try {
    const image: FlashImage = {
      name: label,
      sha256: '',
      parts: [{ name: 'app', offset: 0x10000, data }],
    }
    const started = performance.now()
    const result = await flashBoard(
      {
        port: { path: board.clientPath },
        board: null,
        baud,
        before: 'no_reset',
        loadImage: async () => image,
      },
      () => undefined,
    )
    const seconds = (performance.now() - started) / 1000
    if (!result.ok) throw new Error(`${label}: ${result.code} ${result.message}`)
    const wireLimit = baud / 10
    const effective = data.length / seconds
    console.log(
      `flash ${label.padEnd(28)} ${seconds.toFixed(2).padStart(6)} s   ${(effective / 1024).toFixed(1).padStart(7)} KiB/s effective   ${((100 * effective) / wireLimit).toFixed(1).padStart(5)}% of the ${baud}-baud wire limit (${(wireLimit / 1024).toFixed(1)} KiB/s)`,
    )
  } finally {
    await board.stop()
  }
}

/** Flashing through the ROM-loader emulator on a real pty, paced at the baud rate. */
export async function benchFlash(): Promise<void> {
  const random = new Uint8Array(randomBytes(1024 * 1024))
  random[0] = 0xe9
  await flashOnce('1 MiB random (incompressible)', random, 921600)
  await flashOnce('1 MiB firmware-like', firmwareLike(1024 * 1024), 921600)
}

/**
 * The longest stall of the flashing process's event loop while it writes 4 MiB (the emulator runs
 * in another process): what the app's window and IPC would feel.
 */
export async function benchEventLoopWhileFlashing(): Promise<void> {
  const { spawn } = await import('node:child_process')
  const { monitorEventLoopDelay } = await import('node:perf_hooks')
  const { resolve } = await import('node:path')
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(import.meta.dirname, 'emulator-child.ts')],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  try {
    const path = await new Promise<string>((done, fail) => {
      let text = ''
      child.stdout!.on('data', (chunk: Buffer) => {
        text += chunk.toString()
        if (text.includes('\n')) done((JSON.parse(text) as { path: string }).path)
      })
      child.once('exit', () => fail(new Error('the emulator process ended')))
    })
    const image: FlashImage = {
      name: '4 MiB',
      sha256: '',
      parts: [{ name: 'app', offset: 0x10000, data: firmwareLike(4 * 1024 * 1024) }],
    }
    const whole = monitorEventLoopDelay({ resolution: 10 })
    const writing = monitorEventLoopDelay({ resolution: 10 })
    whole.enable()
    const started = performance.now()
    const result = await flashBoard(
      {
        port: { path },
        board: null,
        baud: 2000000,
        before: 'no_reset',
        loadImage: async () => image,
      },
      (event) => {
        // From compression to the end: the long part of a job.
        if (event.type === 'stage' && event.stage === 'writing') writing.enable()
      },
    )
    whole.disable()
    writing.disable()
    if (!result.ok) throw new Error(`${result.code}: ${result.message}`)
    const ms = (ns: number): string => `${(ns / 1e6).toFixed(1)} ms`
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    console.log(
      `event loop while flashing 4 MiB (${seconds} s)`.padEnd(52),
      `longest stall ${ms(whole.max)} (connecting included), ${ms(writing.max)} while writing; p99 ${ms(whole.percentile(99))}`,
    )
  } finally {
    child.stdin!.end()
    await new Promise((done) => child.once('exit', done))
  }
}
