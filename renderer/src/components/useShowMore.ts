import { useLayoutEffect, useRef, type RefObject } from 'react'

/**
 * "Show more" for a list whose button goes away once nothing more is left: when the next items
 * arrive, the focus moves to the first of them (matched by `selector` inside `list`), so it never
 * falls to the page body and the user reads on where the new items begin.
 */
export function useShowMore(
  count: number,
  loadMore: () => void,
  list: RefObject<HTMLElement | null>,
  selector: string,
): () => void {
  const firstNew = useRef<number | null>(null)
  useLayoutEffect(() => {
    const index = firstNew.current
    if (index === null || count <= index) return
    firstNew.current = null
    list.current?.querySelectorAll<HTMLElement>(selector)[index]?.focus()
  }, [count, list, selector])
  return () => {
    firstNew.current = count
    loadMore()
  }
}
