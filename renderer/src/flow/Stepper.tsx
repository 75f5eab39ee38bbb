export const STEPS = [
  { id: 'board', label: 'Board' },
  { id: 'device', label: 'Device' },
  { id: 'template', label: 'Template' },
  { id: 'flash', label: 'Flash' },
  { id: 'verify', label: 'Verify' },
] as const

export type StepId = (typeof STEPS)[number]['id']

/** Where the technician is; steps already reached can be revisited, later ones not yet. */
export function Stepper({
  current,
  reached,
  onGo,
  skipped = [],
}: {
  current: StepId
  reached: number
  onGo: (step: StepId) => void
  /** Steps the flow passed by (the template, when a base firmware needs no compiler). */
  skipped?: readonly StepId[]
}): React.JSX.Element {
  const currentIndex = STEPS.findIndex((s) => s.id === current)
  return (
    <nav aria-label="Provisioning steps" className="stepper">
      <ol>
        {STEPS.map((step, index) => {
          const state =
            index === currentIndex
              ? 'current'
              : skipped.includes(step.id)
                ? 'skipped'
                : index < currentIndex
                  ? 'done'
                  : index <= reached
                    ? 'reached'
                    : 'todo'
          return (
            <li key={step.id} className={`step-${state}`}>
              <button
                type="button"
                aria-current={index === currentIndex ? 'step' : undefined}
                disabled={index > reached}
                onClick={() => onGo(step.id)}
              >
                <span className="step-number" aria-hidden="true">
                  {state === 'done' ? '✓' : index + 1}
                </span>
                <span className="step-label">
                  {step.label}
                  {state === 'skipped' && <span className="step-note"> (skipped)</span>}
                  <span className="visually-hidden">
                    {state === 'done'
                      ? ' (done)'
                      : state === 'current'
                        ? ' (current step)'
                        : state === 'todo'
                          ? ' (not yet)'
                          : ''}
                  </span>
                </span>
              </button>
            </li>
          )
        })}
      </ol>
    </nav>
  )
}
