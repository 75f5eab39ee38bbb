import type { Board } from '../boards/board-schema'
import type { Result } from '../shared/errors'
import type { SiteProfile } from '../site/site-profile-types'

/**
 * The typed API between renderer and main, written once. Main implements it (main/ipc/handlers.ts),
 * the preload forwards one function per operation, the renderer calls `window.fieldflash`.
 * Every answer is a `Result`: errors cross the boundary as values.
 */
export interface FieldFlashApi {
  listBoards(): Promise<Result<Board[]>>
  getSiteProfile(): Promise<Result<SiteProfile | null>>
}

/** One IPC channel per operation, named after it. */
export const API_CHANNELS = {
  listBoards: 'fieldflash:listBoards',
  getSiteProfile: 'fieldflash:getSiteProfile',
} as const satisfies Record<keyof FieldFlashApi, string>
