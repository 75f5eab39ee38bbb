import { useLayoutEffect, useRef, type ReactNode } from 'react'

/**
 * A screen's or a step's heading that takes focus when it appears, so keyboard and screen-reader
 * users land where the content changed.
 */
export function FocusHeading({
  level = 1,
  children,
  id,
}: {
  level?: 1 | 2
  children: ReactNode
  id?: string
}): React.JSX.Element {
  const ref = useRef<HTMLHeadingElement>(null)
  // Before paint, so the focus is never seen on the body while the previous screen goes.
  useLayoutEffect(() => {
    ref.current?.focus({ preventScroll: false })
  }, [])
  const Tag = level === 1 ? 'h1' : 'h2'
  return (
    <Tag ref={ref} tabIndex={-1} id={id} className="focus-heading">
      {children}
    </Tag>
  )
}
