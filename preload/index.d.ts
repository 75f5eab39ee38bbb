import type { FieldFlashApi } from '../main/ipc/api-contract'

declare global {
  interface Window {
    fieldflash: FieldFlashApi
  }
}
