import { isValidDeviceUid } from '../shared/device-uid'

/** The fields of an `FFBOOT` line (docs/protocol.md). */
export interface BootstrapBanner {
  version: 1
  uid: string
  fingerprint: string
  code: string
  mac: string
  firmware: string | null
  /** The board's boot nonce (n=, 16 hex digits): a registration is bound to it; null without. */
  nonce: string | null
  /** Keys this version does not know, kept for display. */
  extra: Record<string, string>
}

export type BannerParse =
  | { kind: 'none' }
  | { kind: 'banner'; banner: BootstrapBanner }
  | { kind: 'malformed'; reason: string }

const MARK = 'FFBOOT '
const REQUIRED = ['v', 'uid', 'fp', 'code', 'mac'] as const
const FINGERPRINT = /^[0-9a-f]{8}$/
const CODE = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/
const KEY = /^[a-z][a-z0-9_]*$/
const NONCE = /^[0-9a-f]{16}$/

/**
 * Finds and parses a bootstrap banner in one console line. Boot noise before `FFBOOT` is allowed
 * (the last occurrence wins), unknown keys are kept aside, and a broken banner is reported with a
 * reason instead of throwing.
 */
export function parseBootstrapBanner(line: string): BannerParse {
  const at = line.lastIndexOf(MARK)
  if (at < 0) return { kind: 'none' }
  const fields = new Map<string, string>()
  for (const part of line
    .slice(at + MARK.length)
    .replace(/\r$/, '')
    .split(' ')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    if (eq < 0) continue // a word without `=` is noise
    const key = part.slice(0, eq)
    if (!KEY.test(key)) continue // noise, not a key=value pair this or a later version could send
    if (fields.has(key)) return { kind: 'malformed', reason: `duplicate:${key}` }
    fields.set(key, part.slice(eq + 1))
  }
  for (const key of REQUIRED) {
    if (!fields.has(key)) return { kind: 'malformed', reason: `missing:${key}` }
  }
  const uid = fields.get('uid')!
  const fingerprint = fields.get('fp')!
  const code = fields.get('code')!
  const mac = fields.get('mac')!.toLowerCase()
  if (fields.get('v') !== '1') return { kind: 'malformed', reason: 'version' }
  if (!isValidDeviceUid(uid)) return { kind: 'malformed', reason: 'uid' }
  if (!FINGERPRINT.test(fingerprint)) return { kind: 'malformed', reason: 'fp' }
  if (!CODE.test(code)) return { kind: 'malformed', reason: 'code' }
  if (!MAC.test(mac)) return { kind: 'malformed', reason: 'mac' }
  const extra: Record<string, string> = {}
  for (const [key, value] of fields) {
    if (!['v', 'uid', 'fp', 'code', 'mac', 'fw', 'n'].includes(key)) extra[key] = value
  }
  const fw = fields.get('fw')
  const n = fields.get('n')
  return {
    kind: 'banner',
    banner: {
      version: 1,
      uid,
      fingerprint,
      code,
      mac,
      firmware: fw ? fw : null,
      // A malformed nonce only means the board cannot be registered in this boot.
      nonce: n !== undefined && NONCE.test(n) ? n : null,
      extra,
    },
  }
}

/** Formats a banner exactly as the firmware prints it (without the line ending). */
export function formatBootstrapBanner(
  b: Omit<BootstrapBanner, 'version' | 'extra' | 'nonce'> & { nonce?: string | null },
): string {
  const nonce = b.nonce ? ` n=${b.nonce}` : ''
  return `FFBOOT v=1 uid=${b.uid} fp=${b.fingerprint} code=${b.code} mac=${b.mac} fw=${b.firmware ?? ''}${nonce}`
}
