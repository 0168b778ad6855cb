// window.studio and window.studioEvents exist inside Electron (the preload), not in a plain browser.
import type { StudioApi, StudioEventSource } from '../../shared/api';

declare global {
  interface Window {
    readonly studio?: StudioApi;
    readonly studioEvents?: StudioEventSource;
  }
}

export {};
