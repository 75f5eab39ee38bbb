import { useEffect, useLayoutEffect, useRef, useState } from 'react'
import {
  api,
  newId,
  type DeviceView,
  type Failure,
  type FirmwareCheck,
  type FlashEvent,
  type FlashOutcome,
  type LibraryFirmware,
  type Result,
} from '../api'
import { FocusHeading } from '../components/Heading'
import { StatusIcon } from '../components/Icons'
import { ErrorNotice, Notice } from '../components/Notice'
import { errorTitle, isHardwareProblem } from '../errors'
import { formatBytes, formatSecondsLeft, formatSpeed } from '../format'
import { PortOptions } from '../components/PortOptions'
import { TableScroll } from '../components/TableScroll'
import { usePorts } from '../hooks'
import { FLASH_BAUD_RATES } from '../../../common/baud-rates'

type Progress = Extract<FlashEvent, { type: 'progress' }>

/**
 * Step 4: port and firmware, then a verified write with progress and cancel. By default the
 * board's base firmware from the library plus a config partition with fresh credentials (no
 * compiler); or a firmware built from the device's template.
 */
export function FlashStep({
  device,
  portPath,
  onPort,
  onFlashed,
  onTemplate,
}: {
  device: DeviceView
  portPath: string | null
  onPort: (path: string) => void
  onFlashed: () => void
  onTemplate: () => void
}): React.JSX.Element {
  const { ports } = usePorts()
  const [library, setLibrary] = useState<LibraryFirmware[] | null>(null)
  const [source, setSource] = useState<'library' | 'build' | null>(null)
  const [importNotes, setImportNotes] = useState<string[]>([])
  const [firmware, setFirmware] = useState<{ handle: string; path: string } | null>(null)
  const [check, setCheck] = useState<FirmwareCheck | null>(null)
  const [checkFailure, setCheckFailure] = useState<Failure | null>(null)
  const [accept, setAccept] = useState(false)
  // 0: automatic, the rate the port's USB bridge carries (chosen in main).
  const [baud, setBaud] = useState(0)
  const [erase, setErase] = useState(false)
  const [jobId, setJobId] = useState<string | null>(null)
  const [stage, setStage] = useState<string>('')
  const [progress, setProgress] = useState<Progress | null>(null)
  // Fallbacks and other warnings of the running job (a lower baud, a skipped stub), as they happen.
  const [warnings, setWarnings] = useState<string[]>([])
  const [outcome, setOutcome] = useState<FlashOutcome | null>(null)
  const [startFailure, setStartFailure] = useState<Failure | null>(null)
  const [cancelling, setCancelling] = useState(false)
  const jobRef = useRef<string | null>(null)
  const runningRef = useRef<HTMLDivElement>(null)

  useEffect(
    () =>
      api.onFlashEvent((event) => {
        if (event.jobId !== jobRef.current) return
        if (event.type === 'done') {
          jobRef.current = null
          setJobId(null)
          setCancelling(false)
          setOutcome(event.outcome)
          return
        }
        const e = event.event
        if (e.type === 'stage') setStage(e.message)
        else if (e.type === 'progress') setProgress(e)
        else if (e.level === 'warning') setWarnings((list) => [...list, e.message])
      }),
    [],
  )

  useEffect(() => {
    void api.listFirmware({ boardId: device.boardId }).then((r) => {
      const list = r.ok ? r.value : []
      setLibrary(list)
      // The base firmware is the default path: it needs no compiler.
      setSource((s) => s ?? (list.length > 0 ? 'library' : 'build'))
    })
  }, [device.boardId])

  const importBase = async (pick: 'folder' | 'file'): Promise<void> => {
    setCheckFailure(null)
    setImportNotes([])
    const result = await api.importFirmware({ boardId: device.boardId, pick })
    if (!result.ok) setCheckFailure(result)
    else if (result.value) {
      const imported = result.value
      setImportNotes(imported.warnings)
      setLibrary((list) => [
        imported.firmware,
        ...(list ?? []).filter((f) => f.sha256 !== imported.firmware.sha256),
      ])
      setSource('library')
    }
  }

  const inspect = async (chosen: { handle: string; path: string }): Promise<void> => {
    setFirmware(chosen)
    setCheck(null)
    setCheckFailure(null)
    setAccept(false)
    const result = await api.checkFirmware({ uid: device.uid, firmware: chosen.handle })
    if (result.ok) setCheck(result.value)
    else setCheckFailure(result)
  }

  const choose = async (pick: 'folder' | 'file'): Promise<void> => {
    const result = await api.chooseFirmware({ pick })
    if (!result.ok) setCheckFailure(result)
    else if (result.value) await inspect(result.value)
  }

  const tokenMismatch = check?.token.mismatch === true
  const port = ports?.find((p) => p.path === portPath) ?? null
  const base = library?.[0] ?? null
  const canFlash =
    port !== null &&
    jobId === null &&
    (source === 'library' ? base !== null : check !== null && (!tokenMismatch || accept))

  /** Starts a job (a flash or a provisioning) whose events arrive on the flash channel. */
  const beginJob = async (
    begin: (jobId: string) => Promise<Result<{ jobId: string }>>,
  ): Promise<Failure | null> => {
    const id = newId()
    jobRef.current = id
    setJobId(id)
    setOutcome(null)
    setProgress(null)
    setWarnings([])
    setStartFailure(null)
    setStage('Starting…')
    const result = await begin(id)
    if (result.ok) return null
    jobRef.current = null
    setJobId(null)
    setStartFailure(result)
    return result
  }

  const provision = async (): Promise<void> => {
    if (!port || !base) return
    await beginJob((jobId) =>
      api.startProvision({
        jobId,
        uid: device.uid,
        portPath: port.path,
        firmwareId: base.sha256,
        baud: baud || undefined,
      }),
    )
  }

  const start = async (): Promise<void> => {
    if (!port || !check || !firmware) return
    const failure = await beginJob((jobId) =>
      api.startFlash({
        jobId,
        uid: device.uid,
        portPath: port.path,
        firmware: firmware.handle,
        baud: baud || undefined,
        erase,
        acceptTokenMismatch: tokenMismatch && accept,
      }),
    )
    // The firmware's token changed state since it was checked: show the new check.
    if (failure?.code === 'invalid_state') void inspect(firmware)
  }

  const cancel = async (): Promise<void> => {
    if (!jobId || cancelling) return
    setCancelling(true)
    await api.cancelFlash({ jobId })
  }

  const running = jobId !== null
  const percent = progress ? Math.min(100, Math.floor(progress.percent)) : 0
  // What screen readers hear while the job runs: each stage, and the progress in steps of 10 %.
  const announcement = !running
    ? ''
    : cancelling
      ? 'Cancelling…'
      : progress
        ? `${stage} ${Math.floor(percent / 10) * 10} percent done.`
        : stage

  // The panel the user acted in goes away when a job starts: the focus moves to the live progress.
  useLayoutEffect(() => {
    if (running) runningRef.current?.focus()
  }, [running])

  return (
    <section aria-labelledby="flash-step-heading" className="step">
      <FocusHeading level={2} id="flash-step-heading">
        Flash {device.uid}
      </FocusHeading>

      {outcome && (
        <div className="outcome">
          {/* The outcome takes the focus and is read first; the warnings along the way follow. */}
          {outcome.ok ? (
            <>
              <Notice
                tone="success"
                title={outcome.provisioned ? 'Provisioned and verified' : 'Flashed and verified'}
                role="status"
                large
                takeFocus
              >
                <p>
                  {outcome.chip} (MAC <span className="mono">{outcome.mac}</span>,{' '}
                  {outcome.flashSize} flash) now runs {outcome.firmwareName}. Written and checked in{' '}
                  {(outcome.durationMs / 1000).toFixed(1)} s at {outcome.baud.toLocaleString()}{' '}
                  baud.
                </p>
                {outcome.provisioned && (
                  <p>
                    Its console will show the code{' '}
                    <strong className="mono">{outcome.provisioned.expectedCode}</strong> (token{' '}
                    <span className="mono">{outcome.provisioned.fingerprint}</span>).
                    {outcome.provisioned.skippedParts.length > 0 &&
                      ` Already on the board, not rewritten: ${outcome.provisioned.skippedParts.join(', ')}.`}
                  </p>
                )}
              </Notice>
              <JobWarnings warnings={warnings} />
              <div className="actions">
                <button type="button" className="primary big" onClick={onFlashed}>
                  Continue to verify
                </button>
              </div>
            </>
          ) : (
            <>
              <Notice
                tone={outcome.code === 'cancelled' ? 'info' : 'danger'}
                title={
                  outcome.code === 'cancelled' ? 'Flashing cancelled' : errorTitle(outcome.code)
                }
                role="alert"
                large
                takeFocus
              >
                <p>{outcome.message}</p>
                {isHardwareProblem(outcome.code) && (
                  <p>When the board is back, check its port below and flash again.</p>
                )}
              </Notice>
              <JobWarnings warnings={warnings} />
            </>
          )}
        </div>
      )}

      {!running && !outcome?.ok && (
        <div className="flash-setup">
          <div className="field">
            <label htmlFor="flash-port">Serial port</label>
            <select
              id="flash-port"
              value={portPath ?? ''}
              onChange={(e) => onPort(e.target.value)}
              aria-describedby="flash-port-hint"
            >
              <PortOptions ports={ports} />
            </select>
            <p className="hint" id="flash-port-hint">
              {portPath && !port
                ? `${portPath} is not connected any more: plug the board back in.`
                : 'Boards appear here a few seconds after they are plugged in.'}
            </p>
          </div>

          <fieldset className="firmware">
            <legend>Firmware</legend>
            <div className="segmented" role="radiogroup" aria-label="Which firmware">
              <label className={source === 'library' ? 'selected' : ''}>
                <input
                  type="radio"
                  name="firmware-source"
                  checked={source === 'library'}
                  onChange={() => setSource('library')}
                />
                Base firmware + fresh credentials (no compiler)
              </label>
              <label className={source === 'build' ? 'selected' : ''}>
                <input
                  type="radio"
                  name="firmware-source"
                  checked={source === 'build'}
                  onChange={() => setSource('build')}
                />
                A firmware built from the template
              </label>
            </div>
            {source === 'library' && (
              <div className="firmware-check">
                {base ? (
                  <p>
                    <strong>{base.name}</strong>
                    {base.version ? ` ${base.version}` : ''} ({base.id}) —{' '}
                    {formatBytes(base.totalBytes)}; {device.uid}'s configuration and a fresh
                    one-time token go into its &quot;{base.config.label}&quot; partition at{' '}
                    <span className="mono">0x{base.config.offset.toString(16)}</span>. Parts the
                    board already holds are not rewritten.
                  </p>
                ) : (
                  <p>
                    No base firmware for this board yet. Import the one your firmware team built (a
                    PlatformIO build folder of the &quot;generic&quot; environment, or a merged
                    .bin).
                  </p>
                )}
                {importNotes.map((note) => (
                  <Notice key={note} tone="warning" title="Note">
                    <p>{note}</p>
                  </Notice>
                ))}
                <div className="actions">
                  <button type="button" onClick={() => void importBase('folder')}>
                    Import base firmware folder…
                  </button>
                  <button type="button" onClick={() => void importBase('file')}>
                    Import base firmware file…
                  </button>
                  <button type="button" className="link" onClick={onTemplate}>
                    Firmware developer? Download the template instead
                  </button>
                </div>
                {checkFailure && <ErrorNotice failure={checkFailure} />}
              </div>
            )}
            {source === 'build' && (
              <>
                <div className="actions">
                  <button type="button" onClick={() => void choose('folder')}>
                    Choose build folder…
                  </button>
                  <button type="button" onClick={() => void choose('file')}>
                    Choose .bin or manifest file…
                  </button>
                </div>
                {firmware && !check && !checkFailure && (
                  <p role="status">Checking {firmware.path}…</p>
                )}
                {checkFailure && <ErrorNotice failure={checkFailure} />}
                {check && (
                  <div className="firmware-check">
                    <p>
                      <strong>{check.name}</strong> — {check.parts.length} part
                      {check.parts.length === 1 ? '' : 's'}, {formatBytes(check.totalBytes)}
                    </p>
                    <TableScroll label="Parts to write">
                      <table className="parts">
                        <caption className="visually-hidden">What will be written</caption>
                        <thead>
                          <tr>
                            <th scope="col">Offset</th>
                            <th scope="col">Part</th>
                            <th scope="col">Size</th>
                          </tr>
                        </thead>
                        <tbody>
                          {check.parts.map((p) => (
                            <tr key={p.offsetHex}>
                              <td className="mono">{p.offsetHex}</td>
                              <td>
                                {p.name}
                                {p.generated ? ' (generated)' : ''}
                              </td>
                              <td>{formatBytes(p.size)}</td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </TableScroll>
                    {check.token.status === 'current' && (
                      <Notice tone="success" title="Current token inside">
                        <p>{check.token.message}</p>
                      </Notice>
                    )}
                    {check.token.status === 'none' && (
                      <Notice tone="info" title="No token found in this firmware">
                        <p>{check.token.message}</p>
                      </Notice>
                    )}
                    {tokenMismatch && (
                      <Notice
                        tone="warning"
                        title={
                          check.token.status === 'stale'
                            ? 'This firmware carries an outdated token'
                            : check.token.status === 'foreign'
                              ? 'This firmware belongs to another device'
                              : 'This firmware carries an unknown token'
                        }
                        role="alert"
                      >
                        <p>{check.token.message}</p>
                        <label className="checkbox">
                          <input
                            type="checkbox"
                            checked={accept}
                            onChange={(e) => setAccept(e.target.checked)}
                          />
                          Flash it anyway — I understand this board will not verify as {device.uid}
                        </label>
                      </Notice>
                    )}
                  </div>
                )}
              </>
            )}
          </fieldset>

          <details className="options">
            <summary>Options</summary>
            <div className="field">
              <label htmlFor="flash-baud">Speed (baud)</label>
              <select
                id="flash-baud"
                value={baud}
                onChange={(e) => setBaud(Number(e.target.value))}
              >
                <option value={0}>Automatic, by the board's USB bridge (recommended)</option>
                {FLASH_BAUD_RATES.map((b) => (
                  <option key={b} value={b}>
                    {b.toLocaleString()}
                  </option>
                ))}
              </select>
            </div>
            <label className="checkbox">
              <input type="checkbox" checked={erase} onChange={(e) => setErase(e.target.checked)} />
              Erase the whole flash first (slower; clears old Wi-Fi settings and data)
            </label>
          </details>

          {startFailure && <ErrorNotice failure={startFailure} takeFocus />}
          <div className="actions">
            <button
              type="button"
              className="primary big"
              disabled={!canFlash}
              onClick={() => void (source === 'library' ? provision() : start())}
            >
              {!port
                ? 'Choose a port to flash'
                : source === 'library'
                  ? base
                    ? outcome && !outcome.ok
                      ? 'Provision again'
                      : `Provision ${device.uid}`
                    : 'Import a base firmware to provision'
                  : !check
                    ? 'Choose firmware to flash'
                    : outcome && !outcome.ok
                      ? 'Flash again'
                      : `Flash ${device.uid}`}
            </button>
          </div>
        </div>
      )}

      <p role="status" className="visually-hidden">
        {announcement}
      </p>
      {running && (
        <div
          ref={runningRef}
          className="flash-running"
          role="region"
          aria-label={`Flashing ${device.uid}`}
          tabIndex={-1}
        >
          <div className="big-status">
            <StatusIcon tone="progress" size={40} />
            <p>{cancelling ? 'Cancelling…' : stage}</p>
          </div>
          <label htmlFor="flash-progress" className="visually-hidden">
            Flash progress
          </label>
          <progress
            id="flash-progress"
            max={100}
            value={percent}
            aria-valuetext={`${percent} percent`}
          />
          <dl className="progress-facts">
            <div>
              <dt>Done</dt>
              <dd>{percent}%</dd>
            </div>
            <div>
              <dt>Speed</dt>
              <dd>{progress ? formatSpeed(progress.bytesPerSecond) : '—'}</dd>
            </div>
            <div>
              <dt>Time left</dt>
              <dd>{progress ? formatSecondsLeft(progress.secondsLeft) : '—'}</dd>
            </div>
            <div>
              <dt>Part</dt>
              <dd>
                {progress
                  ? `${progress.part} (${progress.partIndex + 1} of ${progress.partCount})`
                  : '—'}
              </dd>
            </div>
          </dl>
          <JobWarnings warnings={warnings} live />
          <div className="actions">
            <button
              type="button"
              className="danger"
              // Not `disabled`: that would drop the focus until the outcome arrives.
              aria-disabled={cancelling || undefined}
              onClick={() => void cancel()}
            >
              Cancel flashing
            </button>
          </div>
        </div>
      )}
    </section>
  )
}

/**
 * What the job warned about on its way (each baud fallback, a ROM-only write), in order. `live`
 * while the job runs: the region is there from the start, so even the first warning is spoken.
 */
function JobWarnings({
  warnings,
  live = false,
}: {
  warnings: string[]
  live?: boolean
}): React.JSX.Element | null {
  const list =
    warnings.length === 0 ? null : (
      <Notice tone="warning" title="Along the way">
        <ul className="job-warnings">
          {warnings.map((message, index) => (
            <li key={index}>{message}</li>
          ))}
        </ul>
      </Notice>
    )
  return live ? <div aria-live="polite">{list}</div> : list
}
