import { useId, type InputHTMLAttributes, type Ref } from 'react'

/** A labelled input with its hint and its problem announced to assistive technology. */
export function Field({
  label,
  hint,
  problem,
  ...input
}: {
  label: string
  hint?: string
  problem?: string | null
  ref?: Ref<HTMLInputElement>
} & InputHTMLAttributes<HTMLInputElement>): React.JSX.Element {
  const id = useId()
  const hintId = `${id}-hint`
  const problemId = `${id}-problem`
  const describedBy = [hint ? hintId : null, problem ? problemId : null].filter(Boolean).join(' ')
  return (
    <div className={`field${problem ? ' has-problem' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
      <input
        id={id}
        aria-invalid={problem ? true : undefined}
        aria-describedby={describedBy || undefined}
        {...input}
      />
      {problem && (
        <p className="problem" id={problemId}>
          <span aria-hidden="true">✕ </span>
          {problem}
        </p>
      )}
    </div>
  )
}
