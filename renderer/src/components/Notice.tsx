import { useLayoutEffect, useRef, type ReactNode } from 'react'
import type { Failure } from '../api'
import { errorTitle } from '../errors'
import { StatusIcon, type Tone } from './Icons'

/** The notices that took the focus when they appeared. */
const focusedOnce = new WeakSet<HTMLElement>()

/**
 * A status box: icon, a short title in words, and what to do next. With `takeFocus` it is what an
 * action produced: it takes the focus when it appears, so keyboard and screen-reader users land on
 * the result (and its title is read first) instead of being left on the page body.
 */
export function Notice({
  tone,
  title,
  children,
  role,
  large = false,
  takeFocus = false,
}: {
  tone: Tone
  title: string
  children?: ReactNode
  role?: 'status' | 'alert'
  large?: boolean
  takeFocus?: boolean
}): React.JSX.Element {
  const ref = useRef<HTMLDivElement>(null)
  // Before paint, so the focus is never seen on the body between the action and its result. Once
  // per notice: an effect run again on the same element (React's development checks do that)
  // must not pull the focus back from where the user has since moved it.
  useLayoutEffect(() => {
    const element = ref.current
    if (!takeFocus || !element || focusedOnce.has(element)) return
    focusedOnce.add(element)
    element.focus()
  }, [takeFocus])
  return (
    <div
      ref={ref}
      className={`notice tone-${tone}${large ? ' large' : ''}`}
      role={role}
      tabIndex={takeFocus ? -1 : undefined}
    >
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
  takeFocus = false,
}: {
  failure: Failure
  children?: ReactNode
  takeFocus?: boolean
}): React.JSX.Element {
  return (
    <Notice
      tone={failure.code === 'cancelled' ? 'info' : 'danger'}
      title={errorTitle(failure.code)}
      role="alert"
      takeFocus={takeFocus}
    >
      <p>{failure.message}</p>
      {children}
    </Notice>
  )
}
