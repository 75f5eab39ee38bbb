// No Node imports here: the renderer sees these types through the IPC contract.

/** A base firmware of the library, as the app shows it. */
export interface LibraryFirmware {
  id: string
  sha256: string
  boardId: string
  name: string
  version: string | null
  chip: string
  totalBytes: number
  config: { label: 'ffcfg' | 'nvs'; offset: number; size: number }
  importedAt: string
}
