import type { Board } from '../api'

export type Tone = 'success' | 'warning' | 'danger' | 'info' | 'progress'

/** A status symbol that differs in shape, not only colour; its meaning is always also in text. */
export function StatusIcon({ tone, size = 28 }: { tone: Tone; size?: number }): React.JSX.Element {
  return (
    <svg
      className={`status-icon tone-${tone}`}
      width={size}
      height={size}
      viewBox="0 0 24 24"
      aria-hidden="true"
      focusable="false"
    >
      {tone === 'success' && (
        <>
          <circle cx="12" cy="12" r="11" fill="currentColor" />
          <path d="M6.5 12.5l3.5 3.5 7.5-8" fill="none" stroke="var(--on-tone)" strokeWidth="2.5" />
        </>
      )}
      {tone === 'warning' && (
        <>
          <path d="M12 1.5 23 21.5H1z" fill="currentColor" />
          <path d="M12 8v6.5" stroke="var(--on-tone)" strokeWidth="2.5" />
          <circle cx="12" cy="17.8" r="1.5" fill="var(--on-tone)" />
        </>
      )}
      {tone === 'danger' && (
        <>
          <rect x="1" y="1" width="22" height="22" rx="4" fill="currentColor" />
          <path d="M7 7l10 10M17 7 7 17" stroke="var(--on-tone)" strokeWidth="2.5" />
        </>
      )}
      {tone === 'info' && (
        <>
          <circle cx="12" cy="12" r="11" fill="currentColor" />
          <path d="M12 10.5V18" stroke="var(--on-tone)" strokeWidth="2.5" />
          <circle cx="12" cy="6.8" r="1.5" fill="var(--on-tone)" />
        </>
      )}
      {tone === 'progress' && (
        <g className="spin">
          <circle
            cx="12"
            cy="12"
            r="9.5"
            fill="none"
            stroke="currentColor"
            strokeOpacity="0.25"
            strokeWidth="3"
          />
          <path
            d="M12 2.5a9.5 9.5 0 0 1 9.5 9.5"
            fill="none"
            stroke="currentColor"
            strokeWidth="3"
          />
        </g>
      )}
    </svg>
  )
}

const FAMILY_COLOUR: Record<Board['chipFamily'], string> = {
  ESP32: '#1f6feb',
  'ESP32-S2': '#8250df',
  'ESP32-S3': '#bf3989',
  'ESP32-C2': '#1a7f37',
  'ESP32-C3': '#0f766e',
  'ESP32-C6': '#9a6700',
  'ESP32-H2': '#cf222e',
  ESP8266: '#57606a',
}

/** A bundled drawing of a dev board: module, chip family, USB connector; decorative. */
export function BoardIcon({ board }: { board: Board }): React.JSX.Element {
  const colour = FAMILY_COLOUR[board.chipFamily]
  const nativeUsb = board.usb.some((u) => u.vid === '303a')
  return (
    <svg
      className="board-icon"
      width="72"
      height="48"
      viewBox="0 0 72 48"
      aria-hidden="true"
      focusable="false"
    >
      <rect x="1" y="6" width="62" height="36" rx="3" fill="var(--pcb)" stroke="var(--pcb-edge)" />
      {Array.from({ length: 10 }, (_, i) => (
        <g key={i}>
          <circle cx={8 + i * 5} cy="10" r="1.2" fill="var(--pin)" />
          <circle cx={8 + i * 5} cy="38" r="1.2" fill="var(--pin)" />
        </g>
      ))}
      <rect x="26" y="14" width="30" height="20" rx="1.5" fill={colour} />
      <rect
        x="29"
        y="17"
        width="24"
        height="14"
        rx="1"
        fill="none"
        stroke="#ffffff"
        strokeOpacity="0.6"
      />
      <text
        x="41"
        y="27"
        textAnchor="middle"
        fontSize="6.5"
        fontFamily="system-ui, sans-serif"
        fill="#ffffff"
      >
        {board.chipFamily.replace('ESP32-', '')}
      </text>
      <rect
        x="60"
        y="19"
        width="11"
        height="10"
        rx="1.5"
        fill={nativeUsb ? colour : 'var(--usb)'}
      />
      <rect x="8" y="18" width="12" height="12" rx="1" fill="var(--bridge)" />
    </svg>
  )
}
