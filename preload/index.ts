import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import {
  EVENT_CHANNELS,
  operationChannel,
  type ApiEvents,
  type EventName,
  type FieldFlashApi,
  type OperationName,
  type RequestOf,
  type ResponseOf,
  type Result,
} from '../main/ipc/api-contract'

// One function per operation and one per event stream; the renderer never sees ipcRenderer.

function call<K extends OperationName>(operation: K) {
  return (request: RequestOf<K>): Promise<Result<ResponseOf<K>>> =>
    request === undefined
      ? ipcRenderer.invoke(operationChannel(operation))
      : ipcRenderer.invoke(operationChannel(operation), request)
}

function subscribe<E extends EventName>(name: E) {
  return (listener: (event: ApiEvents[E]) => void): (() => void) => {
    // Only the payload crosses into the page, never the IPC event (it carries the sender).
    const forward = (_event: IpcRendererEvent, payload: ApiEvents[E]): void => listener(payload)
    ipcRenderer.on(EVENT_CHANNELS[name], forward)
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNELS[name], forward)
    }
  }
}

const api: FieldFlashApi = {
  getAppInfo: call('getAppInfo'),
  getRegistry: call('getRegistry'),
  setRegistryDatabase: call('setRegistryDatabase'),
  getSiteProfile: call('getSiteProfile'),
  checkSiteProfile: call('checkSiteProfile'),
  saveSiteProfile: call('saveSiteProfile'),
  listBoards: call('listBoards'),
  listPorts: call('listPorts'),
  listDevices: call('listDevices'),
  dataVersion: call('dataVersion'),
  getDevice: call('getDevice'),
  checkDeviceUid: call('checkDeviceUid'),
  addDevice: call('addDevice'),
  downloadTemplate: call('downloadTemplate'),
  regenerateToken: call('regenerateToken'),
  revokeToken: call('revokeToken'),
  rotateMqttPassword: call('rotateMqttPassword'),
  chooseFirmware: call('chooseFirmware'),
  checkFirmware: call('checkFirmware'),
  startFlash: call('startFlash'),
  cancelFlash: call('cancelFlash'),
  listFirmware: call('listFirmware'),
  importFirmware: call('importFirmware'),
  startProvision: call('startProvision'),
  identifyBoard: call('identifyBoard'),
  openMonitor: call('openMonitor'),
  closeMonitor: call('closeMonitor'),
  resetBoard: call('resetBoard'),
  approveOperation: call('approveOperation'),
  rejectOperation: call('rejectOperation'),
  registerBoard: call('registerBoard'),
  revokeRegistration: call('revokeRegistration'),
  getExportState: call('getExportState'),
  exportForPlatform: call('exportForPlatform'),
  readAuditLog: call('readAuditLog'),
  startStation: call('startStation'),
  stopStation: call('stopStation'),
  getStation: call('getStation'),
  exportStationResults: call('exportStationResults'),
  onFlashEvent: subscribe('flash'),
  onMonitorEvent: subscribe('monitor'),
  onStationEvent: subscribe('station'),
}

contextBridge.exposeInMainWorld('fieldflash', api)
