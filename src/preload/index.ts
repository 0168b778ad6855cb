// Exposes the shared operation table to the renderer as `window.studio`; the renderer never sees
// ipcRenderer, and invokers are generated from the table, so channel names are never retyped.
import { contextBridge, ipcRenderer } from 'electron';
import { channelOf, OPERATION_NAMES, type StudioApi } from '../shared/api';

const api = Object.fromEntries(OPERATION_NAMES.map((name) => [name, (args: unknown) => ipcRenderer.invoke(channelOf(name), args)])) as unknown as StudioApi;

contextBridge.exposeInMainWorld('studio', api);
