import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  formatBootstrapBanner,
  parseBootstrapBanner,
} from '../../main/verification/bootstrap-banner'
import {
  findTokenProblem,
  tokenFingerprint,
  verificationCode,
} from '../../main/credentials/token-format'
import { REPO_ROOT } from '../helpers/fixtures'

// The same file the firmware's C host test reads (test/firmware/bootstrap_vectors.c).
const vectors = readFileSync(join(REPO_ROOT, 'docs', 'protocol-vectors.tsv'), 'utf8')
  .split('\n')
  .filter((line) => line !== '' && !line.startsWith('#'))
  .map((line) => line.split('\t'))

function ofKind(kind: string): string[][] {
  const rows = vectors.filter((row) => row[0] === kind).map((row) => row.slice(1))
  if (rows.length === 0) throw new Error(`docs/protocol-vectors.tsv has no ${kind} vectors`)
  return rows
}

describe('the shared protocol vectors (docs/protocol-vectors.tsv)', () => {
  it.each(ofKind('token_valid'))('accepts the valid token %s', (token) => {
    expect(findTokenProblem(token!)).toBeNull()
  })

  it.each(ofKind('token_invalid'))('rejects %j for its %s', (token, reason) => {
    expect(findTokenProblem(token!)).toBe(reason)
  })

  it.each(ofKind('fingerprint'))('fingerprints %s as %s', (token, fp) => {
    expect(tokenFingerprint(token!)).toBe(fp)
  })

  it.each(ofKind('code'))('derives the code of %s for UID %s as %s', (token, uid, code) => {
    expect(verificationCode(token!, uid!)).toBe(code)
  })

  it.each(ofKind('banner_format'))(
    'formats the banner of %s exactly as the firmware prints it',
    (uid, fp, code, mac, fw, line) => {
      expect(
        formatBootstrapBanner({
          uid: uid!,
          fingerprint: fp!,
          code: code!,
          mac: mac!,
          firmware: fw || null,
        }),
      ).toBe(line)
    },
  )

  it.each(ofKind('banner_parse'))(
    'parses %j as %s, with or without a trailing CR',
    (line, expected) => {
      for (const variant of [line!, line + '\r']) {
        const parsed = parseBootstrapBanner(variant)
        if (expected!.startsWith('error ')) {
          expect(parsed).toEqual({ kind: 'malformed', reason: expected!.slice('error '.length) })
        } else if (expected === 'none') {
          expect(parsed).toEqual({ kind: 'none' })
        } else {
          const fields = Object.fromEntries(
            expected!
              .slice(3)
              .split(' ')
              .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
          )
          expect(parsed.kind).toBe('banner')
          const banner = (parsed as Extract<typeof parsed, { kind: 'banner' }>).banner
          expect({
            uid: banner.uid,
            fp: banner.fingerprint,
            code: banner.code,
            mac: banner.mac,
            fw: banner.firmware ?? '',
          }).toEqual(fields)
        }
      }
    },
  )
})
