import { useCallback, useEffect, useRef, useState } from 'react'
import {
  api,
  newId,
  type BootstrapError,
  type Failure,
  type MonitorLineView,
  type RegisteredBoardView,
  type Verification,
} from '../api'

const MAX_LINES = 2000

export interface MonitorView {
  /** `idle` before opening, `opening`, `open`, `reconnecting`, `closed` (by us or by the board). */
  state: 'idle' | 'opening' | 'open' | 'reconnecting' | 'closed'
  lines: MonitorLineView[]
  skipped: number
  verification: Verification | null
  /** A registered board's status line, as the registry judges it (it prints no banner). */
  registered: RegisteredBoardView | null
  bootstrapError: BootstrapError | null
  malformed: string | null
  /** Something to know that is not a failure (recording paused for a flooding board). */
  notice: string | null
  failure: Failure | null
  path: string | null
  /** The open console's session, for operations over it (registering the board). */
  sessionId: () => string | null
  open: () => Promise<void>
  close: () => Promise<void>
  reset: () => Promise<void>
  clear: () => void
  setVerification: (v: Verification | null) => void
}

/** A console session on `portPath`, judging banners for `uid` when given; closed on unmount. */
export function useMonitor(
  portPath: string | null,
  uid: string | undefined,
  autoOpen: boolean,
): MonitorView {
  const [state, setState] = useState<MonitorView['state']>('idle')
  const [lines, setLines] = useState<MonitorLineView[]>([])
  const [skipped, setSkipped] = useState(0)
  const [verification, setVerification] = useState<Verification | null>(null)
  const [registered, setRegistered] = useState<RegisteredBoardView | null>(null)
  const [bootstrapError, setBootstrapError] = useState<BootstrapError | null>(null)
  const [malformed, setMalformed] = useState<string | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const [failure, setFailure] = useState<Failure | null>(null)
  const [path, setPath] = useState<string | null>(null)
  const session = useRef<string | null>(null)
  /** Bumped by every open and by unmount, so an open that was overtaken gives its port back. */
  const generation = useRef(0)

  useEffect(
    () =>
      api.onMonitorEvent((event) => {
        if (event.sessionId !== session.current) return
        switch (event.type) {
          case 'lines':
            setLines((previous) => {
              const next = previous.concat(event.lines)
              return next.length > MAX_LINES ? next.slice(next.length - MAX_LINES) : next
            })
            if (event.skipped) setSkipped((s) => s + event.skipped)
            break
          case 'state':
            setState(event.state)
            setPath(event.path)
            if (event.state === 'closed') session.current = null
            break
          case 'verification':
            setVerification(event.verification)
            setBootstrapError(null)
            break
          case 'registered':
            setRegistered(event.board)
            setBootstrapError(null)
            break
          case 'bootstrap_error':
            setBootstrapError(event.error)
            break
          case 'malformed':
            setMalformed(event.reason)
            break
          case 'error':
            setFailure({ ok: false, code: event.code, message: event.message })
            break
          case 'notice':
            setNotice(event.message)
            break
        }
      }),
    [],
  )

  const close = useCallback(async () => {
    generation.current++
    const id = session.current
    session.current = null
    if (id) await api.closeMonitor({ sessionId: id })
    setState((s) => (s === 'idle' ? s : 'closed'))
  }, [])

  const open = useCallback(async () => {
    if (!portPath) return
    await close()
    const mine = ++generation.current
    const id = newId()
    session.current = id
    setFailure(null)
    setState('opening')
    const result = await api.openMonitor({ sessionId: id, portPath, uid })
    if (generation.current !== mine || session.current !== id) {
      if (result.ok) void api.closeMonitor({ sessionId: id })
      return
    }
    if (result.ok) {
      setState('open')
      setPath(result.value.path)
    } else {
      session.current = null
      setState('closed')
      setFailure(result)
    }
  }, [portPath, uid, close])

  const reset = useCallback(async () => {
    const id = session.current
    if (!id) return
    setVerification(null)
    setRegistered(null)
    const result = await api.resetBoard({ sessionId: id })
    if (!result.ok) setFailure(result)
  }, [])

  useEffect(() => {
    // After this render has committed: a mount that React undoes at once opens nothing.
    const timer = autoOpen && portPath ? setTimeout(() => void open(), 0) : undefined
    const generations = generation
    const sessions = session
    return () => {
      clearTimeout(timer)
      generations.current++
      const id = sessions.current
      sessions.current = null
      if (id) void api.closeMonitor({ sessionId: id })
    }
  }, [autoOpen, portPath, open])

  return {
    state,
    lines,
    skipped,
    verification,
    registered,
    bootstrapError,
    malformed,
    notice,
    failure,
    path,
    sessionId: () => session.current,
    open,
    close,
    reset,
    clear: () => {
      setLines([])
      setSkipped(0)
    },
    setVerification,
  }
}
