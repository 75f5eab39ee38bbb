import { resolve } from 'node:path'
import { performance } from 'node:perf_hooks'

/** The app's resources (board catalog, shared firmware). */
export const RESOURCES = resolve(import.meta.dirname, '..', 'resources')

/** The site profile every benchmark registry uses. */
export const BENCH_SITE = {
  platformKey: 'pk_bench',
  apiHost: 'api.example.com',
  mqttHost: 'mqtt.example.com',
  mqttPort: 8883,
  otaBaseUrl: 'https://ota.example.com/',
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

/** Prints median, p95 and max of timings in milliseconds. */
export function summary(label: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b)
  const fmt = (ms: number): string => `${ms.toFixed(2)} ms`
  console.log(
    `${label.padEnd(52)} n=${String(samples.length).padEnd(6)} median ${fmt(quantile(sorted, 0.5)).padEnd(10)} p95 ${fmt(quantile(sorted, 0.95)).padEnd(10)} max ${fmt(sorted.at(-1)!)}`,
  )
}

/** Runs `fn` and returns how long it took with its value. */
export async function timed<T>(fn: () => Promise<T> | T): Promise<[number, T]> {
  const start = performance.now()
  const value = await fn()
  return [performance.now() - start, value]
}
