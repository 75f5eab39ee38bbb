import { useCallback, useEffect, useRef, useState } from 'react'
import { api, type DeviceSummary, type Failure } from '../api'

const PAGE = 100
/** How often the app asks whether another process (the CLI) changed the registry. */
const POLL_MS = 2000

/**
 * The device list, a page at a time (newest first), filtered in main by UID and board. It is
 * fetched again when the window regains focus or the registry's data version moves, so devices
 * added by the CLI while the app is open appear without a restart.
 */
export function useDeviceList(filter: { search: string; boardId?: string }): {
  devices: DeviceSummary[] | null
  total: number
  failure: Failure | null
  more: boolean
  loadMore: () => void
  reload: () => void
} {
  const [devices, setDevices] = useState<DeviceSummary[] | null>(null)
  const [next, setNext] = useState<number | null>(null)
  const [total, setTotal] = useState(0)
  const [failure, setFailure] = useState<Failure | null>(null)
  const [shown, setShown] = useState(PAGE)
  const request = useRef(0)
  const search = filter.search.trim()
  const { boardId } = filter

  const load = useCallback(
    (limit: number) => {
      const mine = ++request.current
      void api
        .listDevices({ limit, newestFirst: true, search: search || undefined, boardId })
        .then((r) => {
          if (mine !== request.current) return
          if (!r.ok) {
            setFailure(r)
            return
          }
          setFailure(null)
          setDevices(r.value.devices)
          setNext(r.value.next)
          setTotal(r.value.total)
        })
    },
    [search, boardId],
  )

  useEffect(() => {
    const timer = setTimeout(() => load(shown), 120)
    return () => clearTimeout(timer)
  }, [load, shown])

  useEffect(() => {
    let version: number | null = null
    const check = (): void => {
      void api.dataVersion().then((r) => {
        if (!r.ok) return
        if (version !== null && r.value !== version) load(shown)
        version = r.value
      })
    }
    const onFocus = (): void => load(shown)
    check()
    const timer = setInterval(check, POLL_MS)
    window.addEventListener('focus', onFocus)
    return () => {
      clearInterval(timer)
      window.removeEventListener('focus', onFocus)
    }
  }, [load, shown])

  return {
    devices,
    total,
    failure,
    more: next !== null,
    loadMore: () => setShown((n) => Math.min(n + PAGE, 1000)),
    reload: () => load(shown),
  }
}
