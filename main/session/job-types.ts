// No Node imports here: the renderer sees these types through the IPC contract.
import type { FlashEvent, FlashStage } from '../flash/flash-events'
import type { ErrorCode } from '../shared/errors'

/** What a finished flash job reports; failures carry a code the renderer switches on. */
export type FlashOutcome =
  | {
      ok: true
      chip: string
      mac: string
      flashSize: string
      baud: number
      durationMs: number
      firmwareName: string
      /** For a provisioning: the token the config partition carries, and the parts not rewritten. */
      provisioned?: { fingerprint: string; expectedCode: string; skippedParts: string[] }
    }
  | { ok: false; code: ErrorCode | 'internal'; message: string; stage: FlashStage }

/** Streamed on the flash subscription. */
export type FlashJobEvent =
  | { jobId: string; type: 'event'; event: FlashEvent }
  | { jobId: string; type: 'done'; outcome: FlashOutcome }
