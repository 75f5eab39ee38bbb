import { FieldFlashError, isBadInput } from '../shared/errors'
import { redactTokens } from '../shared/redact'

/**
 * Exit codes of every command: 0 success, 2 bad input (also an unknown or duplicate UID, a
 * firmware that cannot be right), 1 anything else; `verify` adds 3, not verified
 * (EXIT_NOT_VERIFIED).
 */
export const EXIT = { ok: 0, failure: 1, badInput: 2 } as const

/** Where a command writes; tests pass buffers, the CLI passes the process streams. */
export interface Io {
  out: (text: string) => void
  err: (text: string) => void
  /** Bytes written to `out` that its reader has not taken yet (a slow pipe); 0 when unknown. */
  pending?: () => number
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  pending: () => process.stdout.writableLength,
}

/** How much unread output a streaming command lets pile up before it drops lines. */
export const MAX_PENDING_OUTPUT = 1024 * 1024

/**
 * Output for a stream that must not grow without bound when its reader is slow (`monitor` into a
 * pipe): while more than `limit` bytes wait unread, lines are dropped and counted; the next line
 * that fits is preceded by a notice saying how many were dropped.
 */
export function boundedOutput(
  io: Io,
  notice: (dropped: number) => string,
  limit = MAX_PENDING_OUTPUT,
): { write: (text: string) => void; dropped: () => number } {
  let dropped = 0
  let total = 0
  return {
    write(text) {
      if (text === '') return
      const lines = text.split('\n').length - 1 || 1
      if ((io.pending?.() ?? 0) > limit) {
        dropped += lines
        total += lines
        return
      }
      if (dropped > 0) {
        io.out(notice(dropped))
        dropped = 0
      }
      io.out(text)
    },
    dropped: () => total,
  }
}

/** Prints a command's result: JSON (one document) with --json, else the human text. */
export function emit(io: Io, json: boolean, value: unknown, human: () => string): void {
  io.out(json ? JSON.stringify(value, null, 2) + '\n' : human().replace(/\n?$/, '\n'))
}

/** Maps an error to its exit code and prints it; never prints a stack or a secret. */
export function reportError(io: Io, json: boolean, error: unknown): number {
  const known = error instanceof FieldFlashError
  const code = known ? error.code : 'internal'
  // Redacted whatever the message: a token pasted where a UID goes must not come back out.
  const message = redactTokens(
    known ? error.message : `Unexpected error: ${(error as Error)?.message ?? String(error)}`,
  )
  if (json)
    io.out(
      JSON.stringify({ ok: false, code, message, field: known ? error.field : undefined }) + '\n',
    )
  io.err(`fieldflash: ${withCliHint(message, code)}\n`)
  return known ? exitCodeFor(error) : EXIT.failure
}

// What the CLI adds where the app would point at a control of its own.
const CLI_HINTS: Partial<Record<string, string>> = {
  port_not_found: '"fieldflash ports" lists the serial ports there are.',
}

/** A failure's message with the CLI's own next step for its code, when it has one. */
export function withCliHint(message: string, code: string): string {
  const hint = CLI_HINTS[code]
  return hint ? `${message} ${hint}` : message
}

/** The one rule from a failure to an exit code: 2 when the input is at fault, else 1. */
export function exitCodeFor(failure: { code: string; badInput?: boolean }): number {
  return isBadInput(failure) ? EXIT.badInput : EXIT.failure
}

/**
 * Runs `work` with a signal that Ctrl+C (or SIGTERM) aborts: the job ends cleanly, in a recorded
 * state, with its port released, instead of the process dying in the middle of it.
 */
export async function withCtrlC<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController()
  const cancel = (): void => abort.abort()
  process.once('SIGINT', cancel)
  process.once('SIGTERM', cancel)
  try {
    return await work(abort.signal)
  } finally {
    process.removeListener('SIGINT', cancel)
    process.removeListener('SIGTERM', cancel)
  }
}
