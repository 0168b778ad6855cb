// Execution providers: one frozen preference table per platform, a user override, and the record
// of what actually ran (with the reason when a preferred provider fell back to CPU).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { StudioError } from '../../shared/errors';

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

export function parseDevice(value: string): Device {
  if ((DEVICES as readonly string[]).includes(value)) return value as Device;
  throw new StudioError('bad-device', `unknown device "${value}"; valid devices: ${DEVICES.join(', ')}`);
}

/** Providers to try, in order, for a request on this platform. */
export function candidatesFor(device: Device, platform: string = process.platform): Exclude<Device, 'auto'>[] {
  if (device !== 'auto') return device === 'cpu' ? ['cpu'] : [device, 'cpu'];
  return [...(PROVIDER_TABLE[platform] ?? ['cpu'])];
}

/** Why this onnxruntime-node build cannot use a provider, or null when it may (creation can still fail). */
export function unavailableReason(provider: string): string | null {
  const backend = ort.listSupportedBackends().find((b) => b.name === provider);
  if (!backend) return `onnxruntime-node on ${process.platform} has no ${provider} execution provider`;
  if (provider === 'cuda' && !cudaLibraryPresent()) {
    return 'the CUDA provider is not installed (run ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js)';
  }
  return null;
}

/** onnxruntime-node ships CUDA support as a separate library that its install script may skip. */
function cudaLibraryPresent(): boolean {
  try {
    const bin = path.join(path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin');
    const walk = (dir: string): boolean =>
      fs.readdirSync(dir, { withFileTypes: true }).some((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.includes('providers_cuda')));
    return fs.existsSync(bin) && walk(bin);
  } catch {
    return false;
  }
}
