import type { BannerClassification } from '../api'
import type { Tone } from './Icons'

/** The notice tone for a banner verdict: green only for a board that proved its current token. */
export function verdictTone(classification: BannerClassification): Tone {
  switch (classification) {
    case 'verified':
      return 'success'
    case 'consumed':
      return 'info'
    case 'stale':
    case 'expired':
    case 'revoked':
      return 'warning'
    default:
      return 'danger'
  }
}
