const KEY = 'fieldflash.technician'

/** The technician's name, recorded with approvals; kept on this computer only. */
export function technicianName(): string {
  try {
    return localStorage.getItem(KEY) ?? ''
  } catch {
    return ''
  }
}

export function setTechnicianName(name: string): void {
  try {
    localStorage.setItem(KEY, name)
  } catch {
    // Storage unavailable: the name is simply not remembered.
  }
}
