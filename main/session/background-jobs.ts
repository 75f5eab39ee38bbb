import type { FlashEvent } from '../flash/flash-events'
import { FieldFlashError } from '../shared/errors'
import type { BoardCatalog } from '../boards/catalog'
import type { FieldFlashStore } from '../store/store'
import {
  runBoardSession,
  type BoardAccess,
  type BoardSessionRequest,
  type BoardSessionResult,
} from './board-session'
import type { FlashJobEvent, FlashOutcome } from './job-types'

/**
 * The app's flash jobs, by the id the renderer chose: each runs in the background, streams its
 * events and ends with one outcome (an unexpected error too, logged), and can be cancelled.
 */
export class BackgroundJobs {
  private readonly running = new Map<string, AbortController>()

  constructor(
    private readonly emit: (event: FlashJobEvent) => void,
    private readonly logUnexpected: (operation: string, error: unknown) => void,
  ) {}

  /** Starts `work` as job `jobId`; refused (already_exists) while a job of that id runs. */
  start(
    jobId: string,
    operation: string,
    work: (emitEvent: (event: FlashEvent) => void, signal: AbortSignal) => Promise<FlashOutcome>,
  ): void {
    if (this.running.has(jobId)) throw alreadyRunning(jobId)
    const controller = new AbortController()
    this.running.set(jobId, controller)
    void work((event) => this.emit({ jobId, type: 'event', event }), controller.signal)
      .catch((error: unknown): FlashOutcome => {
        this.logUnexpected(operation, error)
        return {
          ok: false,
          code: 'internal',
          message: 'Flashing failed unexpectedly; see the log for details, then try again.',
          stage: 'preparing',
        }
      })
      .then((outcome) => {
        this.running.delete(jobId)
        this.emit({ jobId, type: 'done', outcome })
      })
  }

  /** Idempotent: a job that already ended has nothing to cancel. Answers null (the IPC's "done"). */
  cancel(jobId: string): null {
    this.running.get(jobId)?.abort()
    return null
  }

  /** Refuses a job id that is running (before the caller prepares anything for it). */
  refuseRunning(jobId: string): void {
    if (this.running.has(jobId)) throw alreadyRunning(jobId)
  }

  dispose(): void {
    for (const controller of this.running.values()) controller.abort()
  }
}

function alreadyRunning(jobId: string): FieldFlashError {
  return new FieldFlashError('already_exists', `jobId: flash job ${jobId} is already running`)
}

/**
 * The app's flash step: a board session up to "flashed" (the verify step's console follows it),
 * its flash events streamed, its end as the renderer takes it.
 */
export async function writeBoard(
  services: { store: FieldFlashStore; catalog: BoardCatalog; access: BoardAccess },
  request: Omit<BoardSessionRequest, 'until' | 'holder'>,
  emitEvent: (event: FlashEvent) => void,
  signal: AbortSignal,
): Promise<FlashOutcome> {
  const session = await runBoardSession(
    services,
    { ...request, until: 'flashed', holder: 'the FieldFlash app' },
    (event) => {
      if (event.type === 'flash') emitEvent(event.event)
    },
    signal,
  )
  return flashOutcome(session.written, session.failure)
}

/** What a board session's write step reports to the renderer. */
function flashOutcome(
  written: BoardSessionResult['written'],
  failure: BoardSessionResult['failure'],
): FlashOutcome {
  if (written?.ok) {
    return {
      ok: true,
      chip: written.chip,
      mac: written.mac,
      flashSize: written.flashSize,
      baud: written.baud,
      durationMs: written.durationMs,
      firmwareName: written.firmwareName,
      // A provisioning: the token the config partition carries, and the parts not rewritten.
      ...('skippedParts' in written
        ? {
            provisioned: {
              fingerprint: written.token.fingerprint,
              expectedCode: written.token.expectedCode,
              skippedParts: written.skippedParts,
            },
          }
        : {}),
    }
  }
  if (written) {
    return { ok: false, code: written.code, message: written.message, stage: written.stage }
  }
  // Refused before writing (the port or the device held by another job).
  const code =
    failure?.code === 'not_verified' || failure?.code === 'not_registered'
      ? 'internal'
      : failure?.code
  return {
    ok: false,
    code: code ?? 'internal',
    message: failure?.message ?? 'The job ended without writing the board.',
    stage: 'preparing',
  }
}
