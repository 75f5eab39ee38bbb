/**
 * Crash tests name a point in a multi-step change with FIELDFLASH_CRASH_AT; reaching it kills this
 * process with SIGKILL, exactly as a power cut or `kill -9` would at that moment. Unset, it does
 * nothing.
 */
export function crashPoint(name: string): void {
  if (process.env.FIELDFLASH_CRASH_AT === name) process.kill(process.pid, 'SIGKILL')
}
