import type { BoardIdentity, TokenFinding } from '../api'
import { Notice } from '../components/Notice'
import type { Tone } from '../components/Icons'

/** What the registry's view of the token the board carries means, and what to do next. */
const TOKEN_TEXT: Record<TokenFinding, { tone: Tone; headline: string; next: string }> = {
  current: {
    tone: 'success',
    headline: 'carries its current token',
    next: 'It verifies: open its console (or the guided flow) to approve it.',
  },
  consumed: {
    tone: 'success',
    headline: 'was approved with the token it carries',
    next: 'Nothing to do unless it must be provisioned again.',
  },
  superseded: {
    tone: 'warning',
    headline: 'carries a superseded token',
    next: 'A newer token was minted since: provision the board again.',
  },
  revoked: {
    tone: 'danger',
    headline: 'carries a revoked token',
    next: 'It will never be approved: provision the board again.',
  },
  expired: {
    tone: 'warning',
    headline: 'carries an expired token',
    next: 'Provision the board again.',
  },
  unknown: {
    tone: 'warning',
    headline: 'carries a token this registry never minted',
    next: 'Another installation or data folder provisioned it.',
  },
}

/** The headline and tone of an identified board. */
function summary(b: BoardIdentity): { tone: Tone; title: string; next: string } {
  const d = b.device
  if (d && !d.known) {
    return {
      tone: 'warning',
      title: `${d.uid}: not in this registry`,
      next: 'Another installation or data folder provisioned it.',
    }
  }
  if (d?.token) {
    const text = TOKEN_TEXT[d.token]
    return { tone: text.tone, title: `${d.uid} ${text.headline}`, next: text.next }
  }
  if (!b.partitions) {
    return {
      tone: 'info',
      title: 'No partition table',
      next:
        b.chip === 'ESP8266'
          ? 'An ESP8266 keeps its values in its firmware (template), not in a config partition.'
          : 'The board is blank, or its firmware is not laid out by ESP-IDF: provision it.',
    }
  }
  if (!b.config) {
    return {
      tone: 'info',
      title: 'Not a FieldFlash base firmware',
      next: 'Its partition table has no ffcfg (or nvs) partition.',
    }
  }
  return {
    tone: 'info',
    title: b.config.state === 'erased' ? 'Not provisioned' : 'No FieldFlash values',
    next: `Its ${b.config.partition} partition holds no device: provision it.`,
  }
}

/** A board read back: which device it is, what the registry makes of it, and what it runs. */
export function IdentifyPanel({ identity: b }: { identity: BoardIdentity }): React.JSX.Element {
  const { tone, title, next } = summary(b)
  const security = b.security
    ? `Secure boot ${b.security.secureBoot ? 'on' : 'off'}, flash encryption ${b.security.flashEncryption ? `on (FLASH_CRYPT_CNT ${b.security.flashCryptCnt})` : 'off'}${b.security.secureDownloadMode ? ', secure download mode' : ''}`
    : "Not reported by this chip's ROM"
  return (
    <Notice tone={tone} title={title} large takeFocus>
      <p>{next}</p>
      <dl className="identity">
        <dt>Board</dt>
        <dd>
          {b.description} on <span className="mono">{b.port}</span>
        </dd>
        <dt>MAC</dt>
        <dd className="mono">{b.mac}</dd>
        {b.flashSize && (
          <>
            <dt>Flash</dt>
            <dd>{b.flashSize}</dd>
          </>
        )}
        {b.device && b.config?.fingerprint && (
          <>
            <dt>Token</dt>
            <dd>
              fingerprint <span className="mono">{b.config.fingerprint}</span>
              {b.device.tokenView ? `, ${b.device.tokenView.state} in this registry` : ''}
            </dd>
          </>
        )}
        {b.config && (
          <>
            <dt>Config</dt>
            <dd>
              {b.config.partition} at 0x{b.config.offset.toString(16)}
              {b.config.keys.length > 0 ? `: ${b.config.keys.join(', ')} (values not shown)` : ''}
            </dd>
          </>
        )}
        <dt>Firmware</dt>
        <dd>
          {b.firmware
            ? `${b.firmware.name}${b.firmware.version ? ` ${b.firmware.version}` : ''} (library ${b.firmware.id})`
            : 'None of the library firmware for this chip'}
        </dd>
        <dt>Security</dt>
        <dd>{security}</dd>
      </dl>
      <p>
        Read {b.bytesRead} bytes in {(b.durationMs / 1000).toFixed(1)} s; nothing was written.
      </p>
    </Notice>
  )
}
