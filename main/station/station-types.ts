// No Node imports here: the renderer sees these types through the IPC contract.

export type BoardPhase = 'identifying' | 'writing' | 'verifying' | 'done' | 'failed' | 'skipped'

/** One port's board as the station shows it. */
export interface BoardStatus {
  port: string
  slot: string
  phase: BoardPhase
  uid: string | null
  mac: string | null
  chip: string | null
  percent: number | null
  bytesPerSecond: number | null
  /** The verification code the board must show (once its config is written). */
  code: string | null
  /** How far it got, once it ended. */
  reached: 'nothing' | 'flashed' | 'verified' | 'approved' | 'registered' | null
  errorCode: string | null
  message: string | null
  seconds: number
}

export interface StationTotals {
  done: number
  failed: number
  skipped: number
  /** Boards done per hour since the station started. */
  perHour: number
  seconds: number
}

/** One line of the results file, appended as each board ends. */
export interface StationRow {
  /** When the board ended (ISO 8601). */
  endedAt: string
  port: string
  slot: string
  device: string
  mac: string
  chip: string
  fingerprint: string
  code: string
  outcome: 'done' | 'failed' | 'skipped'
  reached: string
  errorCode: string
  identifySeconds: number
  writeSeconds: number
  verifySeconds: number
  totalSeconds: number
}

export type StationEvent =
  | { type: 'board'; board: BoardStatus }
  | { type: 'totals'; totals: StationTotals }
  | { type: 'notice'; message: string }

/** What the app's station runs with (locked while it runs). */
export interface StationSettings {
  /** A library firmware id. */
  firmwareId: string
  /** A UID pattern ({seq}, {seq:05}, {mac}) or a device list file. */
  lot: string
  ports: 'auto' | string[]
  until: 'flashed' | 'verified' | 'approved'
  approver?: string | null
  count?: number | null
}

/** The app's station as its screen shows it. */
export interface StationSnapshot {
  running: boolean
  /** Stopped taking boards; those in flight finish. */
  stopping: boolean
  settings: StationSettings | null
  boards: BoardStatus[]
  totals: StationTotals
  /** One per board ended, oldest first. */
  rows: StationRow[]
}
