// Holds a FieldFlash registry's write lock from another process, as a CLI command in the middle of
// a long write would: `tsx devkit/hold-write-lock.ts <fieldflash.db> [ms] [--wait]`. Prints
// "locked" once it holds it; lets go after `ms` milliseconds, or when a line arrives on stdin.
// With --wait it takes the lock only when a first line arrives on stdin (so the process can be
// started before a measurement, and starting it costs the measured process nothing).

import Database from 'libsql'

const args = process.argv.slice(2)
const wait = args.includes('--wait')
const [path, ms] = args.filter((a) => a !== '--wait')
if (!path) {
  process.stderr.write('usage: hold-write-lock <fieldflash.db> [ms] [--wait]\n')
  process.exit(2)
}
const db = new Database(path)
db.exec('PRAGMA busy_timeout = 15000')

const release = (): void => {
  db.exec('COMMIT')
  db.close()
  process.exit(0)
}
const lock = (): void => {
  db.exec('BEGIN IMMEDIATE')
  process.stdout.write('locked\n')
  if (ms) setTimeout(release, Number(ms))
  process.stdin.once('data', release)
}
if (wait) process.stdin.once('data', lock)
else lock()
