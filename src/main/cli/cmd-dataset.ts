// `ganimation dataset <folder> -o <cache>`: builds (or updates) a training set cache and reports skipped files.
import { presetByName } from '../model/config';
import { buildSourceCache } from '../train/build-sources';
import type { Manifest } from '../train/dataset';
import { UsageError, type ParsedFlags } from './args';
import { endProgressLine, progressLine, type Command } from './command';

export const datasetFlags = {
  preset: { type: 'string', description: 'model preset whose crop size to use: light (default), paper, tiny', placeholder: 'name' },
  aligned: { type: 'boolean', description: 'treat each image as an aligned face crop (no detection)' },
  labels: { type: 'string', description: 'CSV of AU labels (a file column and AU01_r ... AU45_r, OpenFace 0-5); default: the built-in estimator', placeholder: 'csv' },
  'validation-fraction': { type: 'number', description: 'share of files held out for validation (default 0.05)' },
  detections: { type: 'string', description: "precomputed detections (faces.jsonl.gz) to use instead of detecting; default: the folder's own faces.jsonl.gz", placeholder: 'file' },
  detect: { type: 'boolean', description: 'detect every face again even when precomputed detections are there' },
} as const;

export async function buildFromFlags(folder: string, cacheDir: string, flags: ParsedFlags, signal?: AbortSignal): Promise<Manifest> {
  const manifest = await buildSourceCache({ folder, aligned: !!flags.aligned }, cacheDir, {
    preset: presetByName((flags.preset as string | undefined) ?? 'light').name,
    labelsCsv: flags.labels as string | undefined,
    detectionsFile: flags.detect ? null : (flags.detections as string | undefined),
    validationFraction: (flags['validation-fraction'] as number | undefined) ?? 0.05,
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

export const datasetCommand: Command = {
  name: 'dataset',
  summary: 'build the training set cache of a folder and report skipped files',
  usage: '<folder> -o <cache> [--aligned] [--labels aus.csv] [--preset light]',
  flags: { out: { type: 'string', alias: 'o', description: 'cache folder', required: true, placeholder: 'dir' }, ...datasetFlags },
  async run({ positional, flags }) {
    if (!positional[0]) throw new UsageError('give the image folder');
    const m = await buildFromFlags(positional[0], flags.out as string, flags);
    if (m.items.length === 0) throw new Error(`no usable faces in ${positional[0]}`);
  },
};
