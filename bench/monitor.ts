import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { openSerialMonitor } from '../main/monitor/serial-monitor'
import { startPtyBoard } from '../devkit/pty'

// 10 MB of console log pushed through a real pty (socat) into the serial monitor as fast as the
// kernel moves it: lines per second, lines lost (must be 0) and the monitor's peak memory.

const TARGET_BYTES = 10 * 1024 * 1024
const MiB = 1024 * 1024

/** ESP-IDF-style log lines with colour codes and varying length, each numbered. */
function makeLog(): { text: string; lines: number } {
  const tags = ['wifi', 'mqtt', 'app_main', 'ota', 'sensor']
  const parts: string[] = []
  let bytes = 0
  let n = 0
  while (bytes < TARGET_BYTES) {
    n++
    const level = n % 17 === 0 ? '\x1b[0;33mW' : '\x1b[0;32mI'
    const body = 'x'.repeat((n * 7919) % 90)
    const line = `${level} (${n * 3}) ${tags[n % tags.length]}: #${n} ${body}\x1b[0m\r\n`
    parts.push(line)
    bytes += Buffer.byteLength(line)
  }
  return { text: parts.join(''), lines: n }
}

/** Prints the monitor figures; `npm run bench` calls it. */
export async function benchMonitor(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-bench-monitor-'))
  const { text, lines: expected } = makeLog()
  const logFile = join(dir, 'console.log')
  await writeFile(logFile, text)
  // The "board" waits for a go file, so the clock starts only once the monitor listens.
  const board = join(dir, 'board.sh')
  await writeFile(
    board,
    `#!/bin/sh\nwhile [ ! -e '${dir}/go' ]; do sleep 0.01; done\ncat '${logFile}'\nexec sleep 600\n`,
    { mode: 0o755 },
  )
  const pty = await startPtyBoard(dir, board, [], 'tty')
  try {
    ;(globalThis as { gc?: () => void }).gc?.()
    const base = process.memoryUsage()
    let peakHeap = 0
    let peakRss = 0
    const sample = (): void => {
      const m = process.memoryUsage()
      peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers - base.heapUsed - base.arrayBuffers)
      peakRss = Math.max(peakRss, m.rss)
    }
    const sampler = setInterval(sample, 10)

    const monitor = await openSerialMonitor({ path: pty.path, baudRate: 921_600 })
    let received = 0
    let outOfOrder = 0
    let updates = 0
    let largest = 0
    let done!: () => void
    const finished = new Promise<void>((resolve) => (done = resolve))
    monitor.subscribe((update) => {
      if (update.kind !== 'lines') return
      updates++
      largest = Math.max(largest, update.lines.length)
      for (const line of update.lines) {
        const hash = line.text.indexOf('#')
        const n = Number(line.text.slice(hash + 1, line.text.indexOf(' ', hash)))
        if (n !== received + 1) outOfOrder++
        received = n
      }
      if (received >= expected) done()
    })

    const start = performance.now()
    await writeFile(join(dir, 'go'), '')
    const timeout = setTimeout(done, 60_000)
    await finished
    const seconds = (performance.now() - start) / 1000
    clearTimeout(timeout)
    sample()
    clearInterval(sampler)
    const stats = monitor.stats()
    await monitor.close()

    const lost = expected - stats.lines + outOfOrder
    const row = (label: string, value: string): void => console.log(label.padEnd(40), value)
    console.log(
      `serial monitor: ${(text.length / MiB).toFixed(1)} MB log, ${expected} lines through a pty`,
    )
    row(
      '  lines per second',
      `${Math.round(stats.lines / seconds).toLocaleString('en')} (${(stats.bytes / MiB / seconds).toFixed(1)} MB/s, ${seconds.toFixed(2)} s)`,
    )
    row(
      '  lines lost',
      `${lost} (${stats.lines} of ${expected} received${outOfOrder ? `, ${outOfOrder} out of order` : ''})`,
    )
    row(
      '  updates to listeners',
      `${updates} (${(updates / seconds).toFixed(1)} per s, largest ${largest} lines)`,
    )
    row(
      '  peak memory of the monitor',
      `${(peakHeap / MiB).toFixed(1)} MB heap above baseline; process RSS peak ${(peakRss / MiB).toFixed(0)} MB`,
    )
    row(
      '  ring held at the end',
      `${stats.ringLines} lines, ${(stats.ringChars / MiB).toFixed(2)} M chars`,
    )
  } finally {
    await pty.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
