// No Node imports here: the renderer sees these types through the IPC contract.
import type { TokenRecord, TokenState } from '../store/records'

/** A token as the user may see it: everything but the secret. */
export interface TokenView {
  fingerprint: string
  expectedCode: string
  state: TokenState
  issuedAt: string
  expiresAt: string
  endedAt: string | null
  origin: TokenRecord['origin']
}

/** A freshly minted token: the only moment the plaintext exists outside the board. */
export interface MintedToken {
  token: string
  view: TokenView
  /** The token it replaced, if one was still issued. */
  superseded: TokenView | null
}
