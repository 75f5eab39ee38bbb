/**
 * Resolves once `check` holds, looking again every 10 ms. It has no deadline of its own: the
 * test's timeout ends a wait for something that never happens, so a loaded machine only makes the
 * test slower, never red.
 */
export async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10))
}
