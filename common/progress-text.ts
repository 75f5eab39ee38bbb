// Progress as text, for the app and the CLI alike: pure functions of numbers, tested with a table.
// No Node imports: the renderer bundles this file too.

/** Time left for people: "less than a second", "42 s", "3 min 5 s", "1 h 2 min"; unknown → "estimating…". */
export function formatTimeLeft(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return 'estimating…'
  if (seconds < 1) return 'less than a second'
  // Round up once, then split: 59.5 s is "1 min 0 s", never "60 s" or "0 min 60 s".
  const total = Math.ceil(seconds)
  if (total < 60) return `${total} s`
  if (total < 3600) {
    const rest = total % 60
    return rest === 0 ? `${total / 60} min` : `${Math.floor(total / 60)} min ${rest} s`
  }
  const minutes = Math.ceil(total / 60)
  const rest = minutes % 60
  return rest === 0 ? `${minutes / 60} h` : `${Math.floor(minutes / 60)} h ${rest} min`
}

/** A transfer rate: "12.3 KB/s", "1.25 MB/s"; nothing measured yet → "—". */
export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '—'
  return bytesPerSecond >= 1024 * 1024
    ? `${(bytesPerSecond / 1024 / 1024).toFixed(2)} MB/s`
    : `${(bytesPerSecond / 1024).toFixed(1)} KB/s`
}

/** One line of flash progress: "app (2/3) 47% · 86.1 KB/s · 12 s left". */
export function describeProgress(progress: {
  part: string
  partIndex: number
  partCount: number
  percent: number
  bytesPerSecond: number
  secondsLeft: number | null
}): string {
  const percent = Math.min(100, Math.max(0, Math.floor(progress.percent)))
  const left =
    progress.secondsLeft === null ? '' : ` · ${formatTimeLeft(progress.secondsLeft)} left`
  return `${progress.part} (${progress.partIndex + 1}/${progress.partCount}) ${percent}% · ${formatRate(progress.bytesPerSecond)}${left}`
}
