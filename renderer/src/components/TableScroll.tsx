import { useEffect, useRef, useState, type ReactNode } from 'react'

/**
 * A wide table's own sideways scroller, so a narrow window (320 px, or a zoomed one) never scrolls
 * the page sideways. While the table does not fit it is a named region in the Tab order, so
 * keyboard users can scroll it with the arrow keys; when it fits it is no stop at all.
 */
export function TableScroll({
  label,
  children,
}: {
  label: string
  children: ReactNode
}): React.JSX.Element {
  const ref = useRef<HTMLDivElement>(null)
  const [scrolls, setScrolls] = useState(false)
  useEffect(() => {
    const box = ref.current
    if (!box) return
    // Called once on observe, then whenever the box or the table changes size.
    const observer = new ResizeObserver(() => setScrolls(box.scrollWidth > box.clientWidth))
    observer.observe(box)
    if (box.firstElementChild) observer.observe(box.firstElementChild)
    return () => observer.disconnect()
  }, [])
  return (
    <div
      ref={ref}
      className="table-scroll"
      role={scrolls ? 'region' : undefined}
      aria-label={scrolls ? label : undefined}
      tabIndex={scrolls ? 0 : undefined}
    >
      {children}
    </div>
  )
}
