// Exposes the shared operation table to the renderer as `window.studio`, and job events as
// `window.studioEvents`; the renderer never sees ipcRenderer, and invokers are generated from the
// table, so channel names are never retyped.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { channelOf, EVENT_CHANNEL, OPERATION_NAMES, type StudioApi, type StudioEvent, type StudioEventSource } from '../shared/api';

const api = Object.fromEntries(OPERATION_NAMES.map((name) => [name, (args: unknown) => ipcRenderer.invoke(channelOf(name), args)])) as unknown as StudioApi;

const events: StudioEventSource = {
  subscribe(listener) {
    const forward = (_e: IpcRendererEvent, event: StudioEvent) => listener(event);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => void ipcRenderer.removeListener(EVENT_CHANNEL, forward);
  },
};

contextBridge.exposeInMainWorld('studio', api);
contextBridge.exposeInMainWorld('studioEvents', events);
