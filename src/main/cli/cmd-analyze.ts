// `ganimation analyze <photo|folder>...`: finds the faces in photos and estimates their AUs, in one
// process (start-up is most of the cost of one photo). One photo prints one JSON document, as it
// always has; several print JSON lines, or CSV with OpenFace-like columns, with a progress line.
import fs from 'node:fs';
import path from 'node:path';
import { formatDuration } from '../../shared/duration';
import { StudioError, toErrorInfo } from '../../shared/errors';
import { decodeImage, detectFaces, estimateAus } from '../face';
import { writeFileAtomic } from '../io/atomic-write';
import { scanImages } from '../train/dataset';
import { ANALYZE_FORMATS, CSV_HEADER, csvRows, failureRecord, photoRecord, type AnalyzedPhoto, type AnalyzeFormat } from './analyze-report';
import { UsageError } from './args';
import { defineCommand, endProgressLine, progressLine, onStopSignal } from './command';

/** A photo to analyse; `named` when the user gave it by name (its failure fails the command), not found in a folder. */
interface Input {
  readonly file: string;
  readonly named: boolean;
}

/** The photos to analyse, in the order given (a folder's sorted, subfolders included), each once. */
export function collectPhotos(args: readonly string[]): Input[] {
  const seen = new Set<string>();
  const inputs: Input[] = [];
  const add = (file: string, named: boolean) => {
    const key = path.resolve(file);
    if (!seen.has(key)) inputs.push({ file, named });
    seen.add(key);
  };
  for (const arg of args) {
    if (fs.existsSync(arg) && fs.statSync(arg).isDirectory()) for (const file of scanImages(arg)) add(file, false);
    else add(arg, true);
  }
  return inputs;
}

export async function analyzePhoto(file: string): Promise<AnalyzedPhoto> {
  const photo = await decodeImage(file);
  const faces = (await detectFaces(photo)).map((f) => ({ ...f, aus: estimateAus(f) }));
  return { file, width: photo.width, height: photo.height, faces };
}

/** Writes records as they come (to stdout), or keeps them for one atomic write (to a file: no partial file under its name). */
function outputFor(format: AnalyzeFormat, outFile: string | undefined) {
  const kept: string[] = [];
  const write = (text: string) => (outFile ? kept.push(text) : process.stdout.write(text));
  let count = 0;
  if (format === 'csv') write(`${CSV_HEADER.join(',')}\n`);
  return {
    file: outFile,
    photo(analyzed: AnalyzedPhoto, single: boolean) {
      if (format === 'csv') for (const row of csvRows(analyzed)) write(`${row}\n`);
      else if (format === 'jsonl') write(`${JSON.stringify(photoRecord(analyzed))}\n`);
      else if (single) write(`${JSON.stringify(photoRecord(analyzed), null, 2)}\n`);
      else write(`${count === 0 ? '[\n' : ',\n'}${JSON.stringify(photoRecord(analyzed))}`);
      count++;
    },
    failed(file: string, err: unknown) {
      if (format === 'jsonl') write(`${JSON.stringify(failureRecord(file, toErrorInfo(err)))}\n`);
    },
    end(single: boolean) {
      if (format === 'json' && !single) write(count === 0 ? '[]\n' : '\n]\n');
      if (outFile) writeFileAtomic(outFile, Buffer.from(kept.join('')));
    },
  };
}

export const analyzeCommand = defineCommand({
  name: 'analyze',
  summary: 'find the faces in photos and estimate their action units (JSON, JSON lines or OpenFace-like CSV)',
  usage: '<photo|folder>... [--format json|jsonl|csv] [-o file]',
  flags: {
    format: { type: 'string', choices: ANALYZE_FORMATS, description: 'json: one document (an array for several photos); jsonl: a line per photo; csv: a row per face (default: json for one photo, jsonl otherwise)' },
    out: { type: 'string', alias: 'o', description: 'write to this file (written whole at the end) instead of stdout', placeholder: 'file' },
  },
  async run({ positional, flags }) {
    if (positional.length === 0) throw new UsageError('give one or more photos or folders');
    const inputs = collectPhotos(positional);
    const single = inputs.length === 1 && inputs[0].named;
    const format: AnalyzeFormat = flags.format ?? (single ? 'json' : 'jsonl');
    const outFile = flags.out;
    if (inputs.length === 0) throw new StudioError('no-photos', `no photos (.jpg, .jpeg, .png, .webp) in ${positional.join(', ')}`);
    // A progress line would tangle with records printed to the same terminal.
    const showProgress = !single && (outFile !== undefined || !process.stdout.isTTY);
    const controller = new AbortController();
    const stop = () => controller.abort();
    const removeStopSignal = onStopSignal(stop);
    try {
      const summary = await analyzeAll(inputs, outputFor(format, outFile), { single, showProgress, signal: controller.signal });
      if (!single) console.error(`analyze: ${summary.photos} photos, ${summary.faces} faces${summary.failed.length ? `, ${summary.failed.length} skipped` : ''}${outFile ? ` -> ${outFile}` : ''}`);
      const named = summary.failed.filter((f) => f.named);
      if (single && named.length) throw named[0].error;
      if (named.length) throw new StudioError('photos-failed', `${named.length} of the photos named could not be analysed (see above)`);
    } finally {
      removeStopSignal();
    }
  },
});

async function analyzeAll(inputs: readonly Input[], output: ReturnType<typeof outputFor>, options: { single: boolean; showProgress: boolean; signal: AbortSignal }) {
  const failed: { file: string; named: boolean; error: unknown }[] = [];
  let faces = 0;
  const t0 = performance.now();
  let shownAt = -Infinity;
  for (const [i, input] of inputs.entries()) {
    if (options.signal.aborted) throw new StudioError('cancelled', `stopped after ${i} of ${inputs.length} photos${output.file ? `; ${output.file} was not written` : ''}`);
    try {
      const analyzed = await analyzePhoto(input.file);
      faces += analyzed.faces.length;
      output.photo(analyzed, options.single);
    } catch (err) {
      failed.push({ ...input, error: err });
      output.failed(input.file, err);
      if (!options.single) console.error(`${options.showProgress && process.stderr.isTTY ? '\r\x1b[2K' : ''}skipped: ${(err as Error).message}`);
    }
    const now = performance.now();
    if (options.showProgress && (now - shownAt > 250 || i === inputs.length - 1)) {
      shownAt = now;
      const rate = (i + 1) / ((now - t0) / 1000);
      progressLine(`analyze: ${i + 1}/${inputs.length} photos | ${faces} faces | ${failed.length} skipped | ${rate.toFixed(1)} photos/s | ETA ${formatDuration((inputs.length - i - 1) / rate)}`);
    }
  }
  if (options.showProgress) endProgressLine();
  output.end(options.single);
  return { photos: inputs.length, faces, failed };
}
