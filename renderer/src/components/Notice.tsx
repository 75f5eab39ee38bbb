import type { ReactNode } from 'react'
import type { Failure } from '../api'
import { errorTitle } from '../errors'
import { StatusIcon, type Tone } from './Icons'

/** A status box: icon, a short title in words, and what to do next. */
export function Notice({
  tone,
  title,
  children,
  role,
  large = false,
}: {
  tone: Tone
  title: string
  children?: ReactNode
  role?: 'status' | 'alert'
  large?: boolean
}): React.JSX.Element {
  return (
    <div className={`notice tone-${tone}${large ? ' large' : ''}`} role={role}>
      <StatusIcon tone={tone} size={large ? 40 : 28} />
      <div>
        <p className="notice-title">{title}</p>
        {children && <div className="notice-body">{children}</div>}
      </div>
    </div>
  )
}

/** A failed operation as the technician reads it: a headline by code, then main's next step. */
export function ErrorNotice({
  failure,
  children,
}: {
  failure: Failure
  children?: ReactNode
}): React.JSX.Element {
  return (
    <Notice
      tone={failure.code === 'cancelled' ? 'info' : 'danger'}
      title={errorTitle(failure.code)}
      role="alert"
    >
      <p>{failure.message}</p>
      {children}
    </Notice>
  )
}
