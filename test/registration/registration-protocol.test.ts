import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  REGISTRATION_TOKEN_PREFIX,
  findTokenProblem,
  registrationKey,
} from '../../main/credentials/token-format'
import {
  formatHolderLine,
  formatRegistrationLine,
  holderKey,
  parseRegistrationReply,
  proofHolds,
  type RegistrationOp,
} from '../../main/registration/registration-protocol'
import { parseBootstrapBanner } from '../../main/verification/bootstrap-banner'
import { REPO_ROOT } from '../helpers/fixtures'

// The registration vectors the firmware's C host test reads too (test/firmware/bootstrap_vectors.c).
const vectors = readFileSync(join(REPO_ROOT, 'docs', 'protocol-vectors.tsv'), 'utf8')
  .split('\n')
  .filter((line) => line !== '' && !line.startsWith('#'))
  .map((line) => line.split('\t'))

function ofKind(kind: string): string[][] {
  const rows = vectors.filter((row) => row[0] === kind).map((row) => row.slice(1))
  if (rows.length === 0) throw new Error(`docs/protocol-vectors.tsv has no ${kind} vectors`)
  return rows
}

describe('registration over the cable: the shared vectors', () => {
  it.each(ofKind('rtoken_valid'))('accepts the registration token %s', (rt) => {
    expect(findTokenProblem(rt!, REGISTRATION_TOKEN_PREFIX)).toBeNull()
    expect(findTokenProblem(rt!)).toBe('prefix')
  })

  it.each(ofKind('rtoken_invalid'))('rejects %j as a registration token: %s', (rt, reason) => {
    expect(findTokenProblem(rt!, REGISTRATION_TOKEN_PREFIX)).toBe(reason)
  })

  it.each(ofKind('reg_key'))('derives K_reg of %s for %s', (token, uid, key) => {
    expect(registrationKey(token!, uid!)).toBe(key)
  })

  it.each(ofKind('holder_key'))('derives K_rt of %s for %s', (rt, uid, key) => {
    expect(holderKey(rt!, uid!)).toBe(key)
  })

  it.each(ofKind('reg_line'))(
    'formats the %s line exactly, with the token wrapped',
    (op, key, uid, nonce, salt, exp, rt, line) => {
      const formatted = formatRegistrationLine({
        op: op as RegistrationOp,
        registrationKey: key!,
        uid: uid!,
        nonce: nonce!,
        salt: salt!,
        exp: exp!,
        registrationToken: rt!,
      })
      expect(formatted).toBe(line)
      expect(formatted).not.toContain(rt!.slice(5))
    },
  )

  it.each([...ofKind('ack_line'), ...ofKind('status_line')])(
    'reads and checks the board line of %s',
    (rt, uid, nonce, exp, line) => {
      const kind = line!.startsWith('FFACK') ? 'ack' : 'status'
      expect(formatHolderLine(kind, rt!, uid!, nonce!, exp!)).toBe(line)
      const reply = parseRegistrationReply(`noise${line}\r`)
      expect(reply).toMatchObject({ kind, uid, nonce, exp })
      if (reply?.kind === 'nak' || reply === null) throw new Error('not a holder line')
      expect(proofHolds(reply, holderKey(rt!, uid!))).toBe(true)
      // The proof is bound to the token, the nonce and the expiry.
      const other = ofKind('rtoken_valid').find((row) => row[0] !== rt)![0]!
      expect(proofHolds(reply, holderKey(other, uid!))).toBe(false)
      expect(proofHolds({ ...reply, exp: '1' }, holderKey(rt!, uid!))).toBe(false)
      expect(proofHolds({ ...reply, nonce: '0'.repeat(16) }, holderKey(rt!, uid!))).toBe(false)
    },
  )

  it('reads every reply a board gives in the board vectors', () => {
    for (const [, uid, nonce, , , reply] of ofKind('reg_handle')) {
      if (reply === '') continue
      const parsed = parseRegistrationReply(reply!)
      expect(parsed, reply).toMatchObject({ uid, nonce })
      if (parsed?.kind === 'nak') expect(reply).toContain(`reason=${parsed.reason}`)
    }
  })
})

describe('parseRegistrationReply', () => {
  it.each([
    ['FFNAK v=1 uid=pump-0001 n=0123456789abcdef', 'no reason'],
    ['FFNAK v=2 uid=pump-0001 n=0123456789abcdef reason=tag', 'another version'],
    [
      'FFACK v=1 uid=pump-0001 n=0123456789ABCDEF rfp=0e917804 exp=1 proof=' + '0'.repeat(32),
      'uppercase nonce',
    ],
    [
      'FFACK v=1 uid=pump-0001 n=0123456789abcdef rfp=0e917804 exp=01 proof=' + '0'.repeat(32),
      'exp with a leading zero',
    ],
    [
      'FFACK v=1 uid=pump-0001 n=0123456789abcdef rfp=0e917804 exp=1 proof=' + '0'.repeat(31),
      'short proof',
    ],
    ['FFNAK v=1 uid=pump-0001 uid=pump-0002 n=0123456789abcdef reason=tag', 'a key twice'],
    ['the board said nothing of interest', 'no marker'],
  ])('finds no reply in %j (%s)', (line) => {
    expect(parseRegistrationReply(line)).toBeNull()
  })
})

describe('the banner’s nonce', () => {
  it('is read from n= and left null when malformed or absent', () => {
    const base =
      'FFBOOT v=1 uid=pump-0001 fp=3e851a53 code=STA9-Y4D6 mac=24:0a:c4:12:34:56 fw=0.1.0 cfg=nvs'
    const ok = parseBootstrapBanner(`${base} n=0123456789abcdef`)
    expect(ok.kind === 'banner' && ok.banner.nonce).toBe('0123456789abcdef')
    for (const line of [base, `${base} n=0123`, `${base} n=0123456789ABCDEF`]) {
      const parsed = parseBootstrapBanner(line)
      expect(parsed.kind === 'banner' && parsed.banner.nonce).toBeNull()
    }
  })
})
