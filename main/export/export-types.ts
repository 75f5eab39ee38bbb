// No Node imports here: the renderer sees these types through the IPC contract.

/** What writing an export produced. */
export interface ExportResult {
  path: string
  signaturePath: string
  devices: number
  records: number
  bytes: number
  /** Where the next incremental export continues (--since). */
  cursor: string
  since: string | null
}
