import type { PortView } from '../api'
import { portLabel } from '../hooks'

/** The options of a serial-port <select>: a placeholder that says whether any board is connected, then each port. */
export function PortOptions({ ports }: { ports: PortView[] | null }): React.JSX.Element {
  return (
    <>
      <option value="" disabled>
        {ports?.length === 0 ? 'No board connected' : 'Choose the port'}
      </option>
      {ports?.map((p) => (
        <option key={p.path} value={p.path}>
          {portLabel(p)}
        </option>
      ))}
    </>
  )
}
