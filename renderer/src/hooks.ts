import { useEffect, useState } from 'react'
import { api, type Failure, type PortView } from './api'

/** The serial ports, polled so a board plugged in or out shows up within a couple of seconds. */
export function usePorts(intervalMs = 2000): { ports: PortView[] | null; failure: Failure | null } {
  const [ports, setPorts] = useState<PortView[] | null>(null)
  const [failure, setFailure] = useState<Failure | null>(null)
  useEffect(() => {
    let alive = true
    let timer: ReturnType<typeof setTimeout> | undefined
    const poll = async (): Promise<void> => {
      const result = await api.listPorts()
      if (!alive) return
      if (result.ok) {
        setFailure(null)
        setPorts((previous) =>
          previous && JSON.stringify(previous) === JSON.stringify(result.value)
            ? previous
            : result.value,
        )
      } else setFailure(result)
      timer = setTimeout(() => void poll(), intervalMs)
    }
    void poll()
    return () => {
      alive = false
      clearTimeout(timer)
    }
  }, [intervalMs])
  return { ports, failure }
}

/** A friendly one-line name for a port: "CP210x on /dev/ttyUSB0". */
export function portLabel(port: PortView): string {
  const what = port.bridge ?? port.manufacturer ?? 'Serial port'
  return `${what} — ${port.path}`
}
