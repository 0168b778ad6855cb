// `ganimation dataset <folder> -o <cache>`: builds (or updates) a training set cache and reports skipped files.
import { PRESET_NAMES } from '../../shared/presets';
import { buildSourceCache } from '../train/build-sources';
import { DEFAULT_TRAIN_CONFIG } from '../train/train-config';
import type { Manifest } from '../train/dataset';
import { UsageError, type FlagSpecs, type FlagValues } from './args';
import { defineCommand, endProgressLine, progressLine } from './command';

export const datasetFlags = {
  preset: { type: 'string', choices: PRESET_NAMES, description: `model preset whose crop size to use (default ${DEFAULT_TRAIN_CONFIG.preset})` },
  aligned: { type: 'boolean', description: 'treat each image as an aligned face crop (no detection)' },
  labels: { type: 'string', description: 'CSV of AU labels (a file column and AU01_r ... AU45_r, OpenFace 0-5); default: the built-in estimator', placeholder: 'csv' },
  'validation-fraction': { type: 'number', description: 'share of files held out for validation (default 0.05)' },
  detections: { type: 'string', description: "precomputed detections (faces.jsonl.gz) to use instead of detecting; default: the folder's own faces.jsonl.gz", placeholder: 'file' },
  detect: { type: 'boolean', description: 'detect every face again even when precomputed detections are there' },
} as const satisfies FlagSpecs;

export async function buildFromFlags(folder: string, cacheDir: string, flags: FlagValues<typeof datasetFlags>, signal?: AbortSignal): Promise<Manifest> {
  const manifest = await buildSourceCache({ folder, aligned: !!flags.aligned }, cacheDir, {
    preset: flags.preset ?? DEFAULT_TRAIN_CONFIG.preset,
    labelsCsv: flags.labels,
    detectionsFile: flags.detect ? null : flags.detections,
    validationFraction: flags['validation-fraction'] ?? 0.05,
    signal,
    onProgress: (p) => p.total > 0 && (p.done % 50 === 0 || p.done === p.total) && progressLine(`dataset: ${p.done}/${p.total} images`),
  });
  endProgressLine();
  reportManifest(manifest);
  return manifest;
}

function reportManifest(m: Manifest): void {
  const train = m.items.filter((i) => i.split === 'train').length;
  console.log(`dataset: ${m.items.length} faces (${train} train, ${m.items.length - train} validation), ${m.skipped.length} skipped`);
  for (const s of m.skipped.slice(0, 20)) console.log(`  skipped ${s.file}: ${s.reason} (${s.detail})`);
  if (m.skipped.length > 20) console.log(`  ... and ${m.skipped.length - 20} more (see manifest.json)`);
}

export const datasetCommand = defineCommand({
  name: 'dataset',
  summary: 'build the training set cache of a folder and report skipped files',
  usage: '<folder> -o <cache> [--aligned] [--labels aus.csv] [--preset light]',
  flags: { out: { type: 'string', alias: 'o', description: 'cache folder', required: true, placeholder: 'dir' }, ...datasetFlags },
  async run({ positional, flags }) {
    if (!positional[0]) throw new UsageError('give the image folder');
    const m = await buildFromFlags(positional[0], flags.out, flags);
    if (m.items.length === 0) throw new Error(`no usable faces in ${positional[0]}`);
  },
});
