import { useState } from 'react'
import { api, type Board, type DeviceView } from '../api'
import { FocusHeading } from '../components/Heading'
import { BoardStep } from './BoardStep'
import { DeviceStep } from './DeviceStep'
import { FlashStep } from './FlashStep'
import { STEPS, Stepper, type StepId } from './Stepper'
import { TemplateStep } from './TemplateStep'
import { VerifyStep } from './VerifyStep'

export interface FlowStart {
  device: DeviceView
}

/**
 * The guided flow, one obvious next step at a time: Board → Device → Flash (the board's base
 * firmware with fresh credentials, no compiler) → Verify; the template stays a click away for
 * developers, and is the path when the library has no base firmware for the board.
 */
export function Flow({
  boards,
  start,
  onOpenDevice,
}: {
  boards: Board[]
  start: FlowStart | null
  onOpenDevice: (uid: string) => void
}): React.JSX.Element {
  const [step, setStep] = useState<StepId>(start ? 'template' : 'board')
  const [reached, setReached] = useState(start ? 2 : 0)
  const [boardId, setBoardId] = useState<string | null>(start?.device.boardId ?? null)
  const [portPath, setPortPath] = useState<string | null>(null)
  const [device, setDevice] = useState<DeviceView | null>(start?.device ?? null)
  /** True when the flow went past the template: the base firmware needs no compiler. */
  const [templateSkipped, setTemplateSkipped] = useState(false)

  const go = (next: StepId): void => {
    const index = STEPS.findIndex((s) => s.id === next)
    setReached((r) => Math.max(r, index))
    setStep(next)
  }
  const board = boards.find((b) => b.id === boardId) ?? null

  return (
    <div className="flow">
      <FocusHeading>Provision a board</FocusHeading>
      <Stepper
        current={step}
        reached={reached}
        onGo={setStep}
        skipped={templateSkipped && step !== 'template' ? ['template'] : []}
      />
      {step === 'board' && (
        <BoardStep
          boards={boards}
          boardId={boardId}
          portPath={portPath}
          onChange={(b, p) => {
            if (b !== boardId) {
              // Another board: the device chosen for the previous one no longer fits.
              setDevice(null)
              setReached(0)
            }
            setBoardId(b)
            setPortPath(p)
          }}
          onNext={() => go('device')}
        />
      )}
      {step === 'device' && board && (
        <DeviceStep
          board={board}
          onChosen={(d) => {
            setDevice(d)
            setReached(1)
            // With a base firmware in the library no compiler is needed: straight to flashing.
            // Without one, the template (for a developer to build) comes first.
            void api.listFirmware({ boardId: d.boardId }).then((r) => {
              const baseFirmware = r.ok && r.value.length > 0
              setTemplateSkipped(baseFirmware)
              go(baseFirmware ? 'flash' : 'template')
            })
          }}
        />
      )}
      {step === 'template' && device && (
        <TemplateStep key={device.uid} device={device} onNext={() => go('flash')} />
      )}
      {step === 'flash' && device && (
        <FlashStep
          device={device}
          portPath={portPath}
          onPort={setPortPath}
          onFlashed={() => go('verify')}
          onTemplate={() => {
            setTemplateSkipped(false)
            go('template')
          }}
        />
      )}
      {step === 'verify' && device && (
        <VerifyStep
          device={device}
          portPath={portPath}
          onPort={setPortPath}
          onOpenDevice={onOpenDevice}
        />
      )}
    </div>
  )
}
