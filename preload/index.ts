import { contextBridge, ipcRenderer } from 'electron'
import { API_CHANNELS, type FieldFlashApi } from '../main/ipc/api-contract'

// One function per operation; the renderer never sees ipcRenderer itself.
const api: FieldFlashApi = {
  listBoards: () => ipcRenderer.invoke(API_CHANNELS.listBoards),
  getSiteProfile: () => ipcRenderer.invoke(API_CHANNELS.getSiteProfile),
}

contextBridge.exposeInMainWorld('fieldflash', api)
