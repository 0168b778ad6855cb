// Execution providers: one frozen preference table per platform, a user override, and the record
// of what actually ran (with the reason when a preferred provider fell back to CPU).
import { cudaLibraryPresent, runtimeBackends } from './ort-session';

export const DEVICES = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const;
export type Device = (typeof DEVICES)[number];

/** Preferred providers per platform, best first; CPU always ends the list. */
export const PROVIDER_TABLE: Readonly<Record<string, readonly Exclude<Device, 'auto'>[]>> = Object.freeze({
  linux: ['cuda', 'cpu'],
  win32: ['dml', 'cpu'],
  darwin: ['coreml', 'cpu'],
});

export interface ProviderReport {
  readonly requested: Device;
  /** The provider the session runs on. */
  readonly used: Exclude<Device, 'auto'>;
  /** Why a preferred provider was not used; absent when the first choice ran. */
  readonly fallbackReason?: string;
}

/** Providers to try, in order, for a request on this platform. */
export function candidatesFor(device: Device, platform: string = process.platform): Exclude<Device, 'auto'>[] {
  if (device !== 'auto') return device === 'cpu' ? ['cpu'] : [device, 'cpu'];
  return [...(PROVIDER_TABLE[platform] ?? ['cpu'])];
}

/** Why this onnxruntime-node build cannot use a provider, or null when it may (creation can still fail). */
export function unavailableReason(provider: string): string | null {
  if (!runtimeBackends().includes(provider)) return `onnxruntime-node on ${process.platform} has no ${provider} execution provider`;
  if (provider === 'cuda' && !cudaLibraryPresent()) {
    return 'the CUDA provider is not installed (run ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js)';
  }
  return null;
}
