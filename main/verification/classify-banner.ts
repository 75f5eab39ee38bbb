import type { BootstrapBanner } from './bootstrap-banner'
import { currentToken, effectiveState, viewToken } from '../credentials/tokens'
import type { DeviceRecord, TokenRecord } from '../store/records'
import type { BannerClassification, BannerVerdict } from './verification-types'

export type { BannerClassification, BannerVerdict }

/** MACs as the store and the banner parser keep them: lowercase, colon-separated. */
export function normalizeMac(mac: string): string {
  return mac.trim().toLowerCase().replace(/-/g, ':')
}

/**
 * The board this device was last recorded on: the MAC of its last flash, or else of the first
 * operation (not rejected) that showed `fingerprint`. Null when nothing was recorded yet.
 */
export function recordedBoard(
  device: DeviceRecord,
  fingerprint: string,
): { mac: string; since: string; source: 'flash' | 'operation' } | null {
  const flash = (device.flashes ?? []).at(-1)
  if (flash?.mac) return { mac: normalizeMac(flash.mac), since: flash.at, source: 'flash' }
  const first = (device.operations ?? []).find(
    (op) => op.fingerprint === fingerprint && op.state !== 'rejected',
  )
  return first
    ? { mac: normalizeMac(first.mac), since: first.firstSeenAt, source: 'operation' }
    : null
}

/**
 * Pure: classifies a banner against the record of the device it names (null when the registry has
 * no such device) at `now`, with a message and the next step for the technician. `expectedUid` is
 * the device the technician is checking, when they chose one.
 */
export function classifyBanner(
  device: DeviceRecord | null,
  banner: Pick<BootstrapBanner, 'uid' | 'fingerprint' | 'code' | 'mac'>,
  now: Date,
  expectedUid?: string,
): BannerVerdict {
  const { uid, fingerprint, code } = banner
  const mac = normalizeMac(banner.mac)
  const current = device ? currentToken(device) : null
  const currentView = current ? viewToken(current, now) : null
  const matched = device ? findToken(device, fingerprint) : null
  const matchedView = matched ? viewToken(matched, now) : null
  const verdict = (
    classification: BannerClassification,
    headline: string,
    message: string,
    nextStep: string,
    recordedMac: string | null = null,
  ): BannerVerdict => ({
    classification,
    verified: classification === 'verified',
    uid,
    fingerprint,
    seenCode: code,
    expectedCode: matched?.expectedCode ?? current?.expectedCode ?? null,
    mac,
    recordedMac,
    token: matchedView,
    currentToken: currentView,
    headline,
    message,
    nextStep,
  })
  // The way back to a current token is the way the board got its token: provisioning writes a
  // fresh config partition; a template's token is compiled into the firmware.
  const origin = (matched ?? current)?.origin
  const reflash =
    origin === 'provision' || origin === 'config-partition'
      ? `Provision the board of ${uid} again (it writes a fresh config partition), then verify again.`
      : `Download the template of ${uid} again, rebuild the firmware and flash it, then verify again.`

  if (expectedUid !== undefined && expectedUid !== uid) {
    return verdict(
      'wrong_device',
      'Another device’s firmware',
      `You are checking ${expectedUid}, but this board carries the template of ${uid} (token ${fingerprint}).`,
      `Connect the board of ${expectedUid}, or flash this board with firmware built from ${expectedUid}'s template. To check ${uid} instead, verify without choosing a device.`,
    )
  }
  if (!device) {
    return verdict(
      'unknown_device',
      'Unknown device',
      `No device ${uid} is in this FieldFlash data. The board was flashed with a template from another FieldFlash installation or data folder, or for a device that no longer exists.`,
      'Check that FieldFlash uses the right data folder. Otherwise create the device here, download its template, build and flash it.',
    )
  }
  if (!matched) {
    return verdict(
      'unknown_fingerprint',
      'Unknown token',
      `The board says it is ${uid}, but its token ${fingerprint} was never minted for ${uid} here. Its device_config.h comes from elsewhere or was edited by hand.`,
      `Do not approve. ${reflash}`,
    )
  }
  if (code !== matched.expectedCode) {
    return verdict(
      'code_mismatch',
      'Code does not match',
      `The board shows code ${code} for token ${fingerprint}, but that token's code for ${uid} is ${matched.expectedCode}. The firmware computes the code wrongly or its configuration was tampered with.`,
      'Do not approve. Rebuild the firmware from a freshly downloaded template and flash it; if the code still differs, report a firmware defect.',
    )
  }
  const state = effectiveState(matched, now)
  switch (state) {
    case 'superseded':
      return verdict(
        'stale',
        'Outdated token',
        `The board carries token ${fingerprint}, which was superseded on ${formatTime(matched.endedAt)} when a newer template or token was made for ${uid}. This firmware was built from an outdated device_config.h.`,
        reflash,
      )
    case 'revoked':
      return verdict(
        'revoked',
        'Revoked token',
        `Token ${fingerprint} of ${uid} was revoked on ${formatTime(matched.endedAt)}; a revoked token is never approved.`,
        reflash,
      )
    case 'expired':
      return verdict(
        'expired',
        'Expired token',
        `Token ${fingerprint} of ${uid} expired on ${formatTime(matched.expiresAt)}, before this board proved it.`,
        reflash,
      )
    case 'consumed': {
      const approval = (device.operations ?? []).find(
        (op) => op.fingerprint === fingerprint && op.state === 'approved',
      )
      const sameBoard = approval !== undefined && normalizeMac(approval.mac) === mac
      return sameBoard
        ? verdict(
            'consumed',
            'Already approved',
            `This board (${mac}) was already approved as ${uid} on ${formatTime(approval.decidedAt)}${approval.approver ? ` by ${approval.approver}` : ''}; its one-time token ${fingerprint} is used up.`,
            'Nothing more to do for this board. A token is approved only once.',
          )
        : verdict(
            'consumed',
            'Token already used',
            `Token ${fingerprint} of ${uid} was already used to approve ${approval ? `the board ${normalizeMac(approval.mac)}` : 'a board'} on ${formatTime(matched.endedAt)}. This board (${mac}) carries a copy of a one-time token.`,
            `Do not use this board as ${uid}. Give it its own device and template, build and flash it.`,
          )
    }
    case 'issued':
      break
  }
  const recorded = recordedBoard(device, fingerprint)
  if (recorded && recorded.mac !== mac) {
    return verdict(
      'another_board',
      'Another board',
      `Token ${fingerprint} is the current token of ${uid}, but this board's MAC ${mac} differs from ${recorded.mac}, the board ${recorded.source === 'flash' ? `${uid} was flashed onto on` : 'that first showed this token on'} ${formatTime(recorded.since)}. The same one-time token is on a second board.`,
      `Do not approve. Revoke the token of ${uid}; give this board its own device and template, and reflash the board of ${uid} from a new template.`,
      recorded.mac,
    )
  }
  return verdict(
    'verified',
    'Verified',
    `The board carries the current token ${fingerprint} of ${uid}, and its code ${code} matches the expected code.`,
    `Approve to record that this board is ${uid}; approving uses up its one-time token.`,
  )
}

/** The last token of the device with this fingerprint (fingerprints of one device differ in practice). */
function findToken(device: DeviceRecord, fingerprint: string): TokenRecord | null {
  for (let i = device.tokens.length - 1; i >= 0; i--) {
    if (device.tokens[i]!.fingerprint === fingerprint) return device.tokens[i]!
  }
  return null
}

function formatTime(iso: string | null): string {
  if (!iso) return 'an unrecorded date'
  return iso
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC')
    .replace(/Z$/, ' UTC')
}
