import { useState } from 'react'
import { api, type BoardIdentity, type Failure } from '../api'
import { FocusHeading } from '../components/Heading'
import { ErrorNotice, Notice } from '../components/Notice'
import { PortOptions } from '../components/PortOptions'
import { usePorts } from '../hooks'
import { verdictTone } from '../components/verdict'
import { ConsoleView } from '../components/ConsoleView'
import { useMonitor } from '../components/useMonitor'
import { IdentifyPanel } from './IdentifyPanel'

/**
 * The serial console on its own: any port, any board; bootstrap banners are still judged. "Identify
 * board" reads the board on the port back instead (download mode, nothing written).
 */
export function ConsoleScreen(): React.JSX.Element {
  const { ports } = usePorts()
  const [portPath, setPortPath] = useState<string | null>(null)
  const monitor = useMonitor(portPath, undefined, false)
  const open =
    monitor.state === 'open' || monitor.state === 'opening' || monitor.state === 'reconnecting'
  const [identifying, setIdentifying] = useState(false)
  const [identity, setIdentity] = useState<BoardIdentity | null>(null)
  const [identifyFailure, setIdentifyFailure] = useState<Failure | null>(null)
  const identify = async (): Promise<void> => {
    if (!portPath || identifying) return
    setIdentifying(true)
    setIdentity(null)
    setIdentifyFailure(null)
    const result = await api.identifyBoard({ portPath })
    setIdentifying(false)
    if (result.ok) setIdentity(result.value)
    else setIdentifyFailure(result)
  }
  const verdict = monitor.verification?.verdict
  return (
    <div>
      <FocusHeading>Serial console</FocusHeading>
      <div className="verify-bar">
        <div className="field inline">
          <label htmlFor="console-port">Port</label>
          <select
            id="console-port"
            value={portPath ?? ''}
            disabled={open || identifying}
            onChange={(e) => {
              setPortPath(e.target.value)
              setIdentity(null)
              setIdentifyFailure(null)
            }}
          >
            <PortOptions ports={ports} />
          </select>
        </div>
        {open ? (
          <button type="button" onClick={() => void monitor.close()}>
            Close console
          </button>
        ) : (
          <button
            type="button"
            className="primary"
            disabled={!portPath || identifying}
            onClick={() => void monitor.open()}
          >
            Open console
          </button>
        )}
        {/* Not disabled while it reads, so the focus stays on it until the result takes it. */}
        <button
          type="button"
          disabled={!portPath || open}
          aria-disabled={identifying}
          onClick={() => void identify()}
        >
          Identify board
        </button>
        <button
          type="button"
          disabled={monitor.state !== 'open'}
          onClick={() => void monitor.reset()}
        >
          Restart the board
        </button>
        <button type="button" onClick={monitor.clear}>
          Clear
        </button>
        <p className="port-state" role="status">
          {identifying
            ? `Reading the board on ${portPath} back (download mode; nothing is written)…`
            : monitor.state === 'open'
              ? `Listening on ${monitor.path}`
              : monitor.state === 'idle'
                ? 'Not open'
                : monitor.state}
        </p>
      </div>
      {identity && <IdentifyPanel identity={identity} />}
      {identifyFailure && <ErrorNotice failure={identifyFailure} takeFocus />}
      {monitor.notice && (
        <Notice tone="warning" title="Not recording every banner">
          <p>{monitor.notice}</p>
        </Notice>
      )}
      {monitor.failure && <ErrorNotice failure={monitor.failure} />}
      {verdict && (
        <Notice
          tone={verdictTone(verdict.classification)}
          title={`${verdict.uid}: ${verdict.headline}`}
        >
          <p>
            Code <span className="mono">{verdict.seenCode}</span>
            {verdict.expectedCode ? `, expected ${verdict.expectedCode}` : ''}. {verdict.nextStep}
          </p>
        </Notice>
      )}
      {monitor.registered && (
        <Notice
          tone={monitor.registered.holds ? 'success' : 'warning'}
          title={
            monitor.registered.holds
              ? `${monitor.registered.uid}: registered`
              : `${monitor.registered.uid}: registration not recognised`
          }
        >
          <p>{monitor.registered.message}</p>
        </Notice>
      )}
      <ConsoleView lines={monitor.lines} skipped={monitor.skipped} label="Serial console output" />
    </div>
  )
}
