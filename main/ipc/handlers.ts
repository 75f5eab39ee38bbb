import type { BoardCatalog } from '../boards/catalog'
import { toResult } from '../shared/errors'
import type { FieldFlashStore } from '../store/store'
import type { FieldFlashApi } from './api-contract'

/** The services the API is implemented with; created once by the app shell. */
export interface Services {
  store: FieldFlashStore
  catalog: BoardCatalog
}

/** Implements the API over the main-process services; no Electron here, so it runs under Node. */
export function createApi(services: Services): FieldFlashApi {
  return {
    listBoards: () => toResult(() => services.catalog.list()),
    getSiteProfile: () => toResult(() => services.store.read().site),
  }
}

/**
 * Rejects any call that carries arguments the operation does not take; each operation validates
 * its own payload in main, never trusting the renderer.
 */
export function assertNoPayload(args: unknown[]): void {
  if (args.length > 0) throw new TypeError('this operation takes no arguments')
}
