import { useState } from 'react'
import type { Board, DeviceView } from '../api'
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

/** The guided flow: Board → Device → Template → Flash → Verify, one obvious next step at a time. */
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

  const go = (next: StepId): void => {
    const index = STEPS.findIndex((s) => s.id === next)
    setReached((r) => Math.max(r, index))
    setStep(next)
  }
  const board = boards.find((b) => b.id === boardId) ?? null

  return (
    <div className="flow">
      <FocusHeading>Provision a board</FocusHeading>
      <Stepper current={step} reached={reached} onGo={setStep} />
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
            go('template')
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
