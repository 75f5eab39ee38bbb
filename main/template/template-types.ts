// No Node imports here: the renderer sees these types through the IPC contract.
import type { TokenView } from '../credentials/token-types'

export interface TemplateDownload {
  zipPath: string
  uid: string
  boardId: string
  token: TokenView
  /** The token this download replaced, if one was still issued. */
  superseded: TokenView | null
}
