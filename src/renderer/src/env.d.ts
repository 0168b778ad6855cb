// window.studio exists inside Electron (the preload) and is absent in a plain browser.
import type { StudioApi } from '../../shared/api';

declare global {
  interface Window {
    readonly studio?: StudioApi;
  }
}

export {};
