import { useId, useLayoutEffect, useRef, type ReactNode } from 'react'

/**
 * A modal confirmation (the native <dialog>: focus moves in, stays in, Escape cancels). The
 * confirm button names the action; the text names the consequence. On either answer the dialog
 * closes first, so the page is no longer inert, and then the focus goes back to the control that
 * opened it; what the confirmed action produces may take it from there.
 */
export function ConfirmDialog({
  title,
  confirmLabel,
  danger = false,
  onConfirm,
  onCancel,
  children,
}: {
  title: string
  confirmLabel: string
  danger?: boolean
  onConfirm: () => void
  onCancel: () => void
  children: ReactNode
}): React.JSX.Element {
  const ref = useRef<HTMLDialogElement>(null)
  const opener = useRef<HTMLElement | null>(null)
  const titleId = useId()

  // A layout effect: its cleanup runs while the dialog is still in the document, so a dialog its
  // owner removes without an answer is closed before the focus goes back.
  useLayoutEffect(() => {
    const dialog = ref.current
    opener.current = document.activeElement as HTMLElement | null
    if (dialog && !dialog.open) dialog.showModal()
    return () => closeAndReturnFocus(dialog, opener.current)
  }, [])

  const answer = (then: () => void): void => {
    closeAndReturnFocus(ref.current, opener.current)
    then()
  }
  return (
    <dialog
      ref={ref}
      className="confirm"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault()
        answer(onCancel)
      }}
    >
      <h2 id={titleId}>{title}</h2>
      <div className="confirm-body">{children}</div>
      <div className="actions">
        <button type="button" autoFocus onClick={() => answer(onCancel)}>
          Cancel
        </button>
        <button
          type="button"
          className={danger ? 'danger' : 'primary'}
          onClick={() => answer(onConfirm)}
        >
          {confirmLabel}
        </button>
      </div>
    </dialog>
  )
}

/**
 * Closes the modal, then gives the focus back to `opener` unless something else already has it
 * (focus() does nothing while a modal makes the page inert, hence the order).
 */
function closeAndReturnFocus(dialog: HTMLDialogElement | null, opener: HTMLElement | null): void {
  if (dialog?.open) dialog.close()
  const active = document.activeElement
  const unclaimed = active === null || active === document.body || dialog?.contains(active)
  if (unclaimed && opener?.isConnected) opener.focus()
}
