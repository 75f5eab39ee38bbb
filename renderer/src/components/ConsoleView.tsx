import { useEffect, useRef, useState } from 'react'
import type { MonitorLineView } from '../api'
import { formatClock } from '../format'

/** The live console: newest at the bottom, follows new lines unless the user scrolled up. */
export function ConsoleView({
  lines,
  skipped,
  label,
}: {
  lines: MonitorLineView[]
  skipped: number
  label: string
}): React.JSX.Element {
  const ref = useRef<HTMLDivElement>(null)
  const [follow, setFollow] = useState(true)
  useEffect(() => {
    const el = ref.current
    if (el && follow) el.scrollTop = el.scrollHeight
  }, [lines, follow])
  return (
    <div className="console-wrap">
      <div
        ref={ref}
        className="console"
        role="log"
        aria-label={label}
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget
          setFollow(el.scrollHeight - el.scrollTop - el.clientHeight < 24)
        }}
      >
        {skipped > 0 && <div className="console-skipped">… {skipped} lines not shown …</div>}
        {lines.length === 0 && (
          <div className="console-empty">Waiting for the board to print something…</div>
        )}
        {lines.map((line) => (
          <div
            key={line.seq}
            className={line.text.includes('FFBOOT ') ? 'console-line banner-line' : 'console-line'}
          >
            <span className="console-time" aria-hidden="true">
              {formatClock(line.at)}
            </span>
            <span className="console-text">{asTerminalShows(line.text)}</span>
          </div>
        ))}
      </div>
      {!follow && (
        <button
          type="button"
          className="follow"
          onClick={() => {
            // The button goes once the console follows again: the focus moves to the console.
            ref.current?.focus()
            setFollow(true)
          }}
        >
          Jump to newest lines
        </button>
      )}
    </div>
  )
}

/** A lone CR returns to the line's start: a terminal shows what was written after the last one. */
export function asTerminalShows(text: string): string {
  // A CR with nothing after it moves the cursor but overwrites nothing.
  const shown = text.replace(/\r+$/, '')
  const cr = shown.lastIndexOf('\r')
  return cr < 0 ? shown : shown.slice(cr + 1)
}
