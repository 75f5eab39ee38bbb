import type { FieldFlashApi, Result } from '../../main/ipc/api-contract'

export type * from '../../main/ipc/api-contract'

/** The bridge the preload exposes: one function per operation (see main/ipc/api-contract.ts). */
export const api: FieldFlashApi = window.fieldflash

/** A failed operation, as main answers it. */
export type Failure = Extract<Result<unknown>, { ok: false }>

/** A random id for a flash job or a console session (works outside secure contexts too). */
export function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}
