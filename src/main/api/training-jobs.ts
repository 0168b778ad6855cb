// One studio's training runs: the dataset is built and the model trained in a worker process; the
// panel follows it through 'train.progress' events (progress, loss curves, the latest sample grid).
// A finished run is exported into the models folder and offered in the model list.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TrainSettings, TrainStatus } from '../../shared/api';
import { StudioError, toErrorInfo } from '../../shared/errors';
import { readModelInfo } from '../model/model-file';
import { runCacheDir } from '../train/build-sources';
import { exportRun } from '../train/export-run';
import { fineTuneCriticWarmup, fineTuneStart } from '../train/fine-tune';
import { checkRunRepaint } from '../train/run-motion';
import { resolveTrainConfig } from '../train/train-config';
import { patternTableIn } from '../io/app-home';
import { runTrainingInWorker, type WorkerEvent, type WorkerJob } from '../train/train-worker';
import type { EventBus } from './events';
import type { ModelLibrary } from './studio-models';
import type { StudioStorage } from './studio-storage';

interface Run {
  status: TrainStatus;
  readonly runDir: string;
  readonly controller: AbortController;
  /** Every step's losses; the status carries a thinned copy. */
  readonly steps: number[];
  readonly terms: Map<string, number[]>;
  sampleFile: string | null;
  readonly announce: (status: () => TrainStatus, urgent?: boolean) => void;
  /** Settles when the run has ended (done, stopped or failed) and its end was announced. */
  finished: Promise<void>;
}

/** Loss points sent per series: enough for a chart, small enough to send twice a second. */
const CHART_POINTS = 400;

export interface TrainingJobsDeps {
  readonly storage: StudioStorage;
  readonly models: ModelLibrary;
  readonly bus: EventBus;
  /** Folders the studio may read training photos from; null: any (the desktop app, where the user picks them). */
  readonly dataRoots: readonly string[] | null;
  /** The host's folder picker (desktop); null when cancelled. */
  readonly chooseFolder?: () => Promise<string | null>;
}

export class TrainingJobs {
  private readonly runs = new Map<string, Run>();
  private readonly dataRoots: readonly string[] | null;

  constructor(private readonly deps: TrainingJobsDeps) {
    this.dataRoots = deps.dataRoots ? deps.dataRoots.map((r) => path.resolve(r)) : null;
  }

  /** Asks the user for a folder of photos (desktop only); null when cancelled. */
  async chooseFolder(): Promise<{ folder: string } | null> {
    const dialog = this.deps.chooseFolder;
    if (!dialog) throw new StudioError('not-supported', 'this studio cannot show a folder dialog; type the folder path (web mode: a folder under --data-root)');
    const folder = await dialog();
    return folder ? { folder } : null;
  }

  start(settings: TrainSettings): TrainStatus {
    const folder = this.checkFolder(settings.folder);
    if ([...this.runs.values()].some((r) => r.status.state === 'running')) throw new StudioError('busy', 'a training run is already in progress; stop it first');
    const runDir = path.join(this.deps.storage.dir('runs'), settings.name);
    const hasCheckpoint = fs.existsSync(path.join(runDir, 'checkpoints'));
    if (settings.resume && !hasCheckpoint) throw new StudioError('no-checkpoint', `there is no run "${settings.name}" to resume`);
    if (!settings.resume && hasCheckpoint) throw new StudioError('run-exists', `a run named "${settings.name}" exists; resume it or choose another name`);
    // A new run fine-tunes the model in use unless asked not to; a resumed run keeps its own networks and motion basis.
    const fineTune = !settings.resume && !settings.fromScratch ? fineTuneStart(this.deps.models.activePath(), settings.preset) : null;
    const config = resolveTrainConfig({
      preset: settings.preset, steps: settings.steps, batchSize: settings.batchSize, sampleEvery: Math.max(50, Math.round(settings.steps / 40)), checkpointMinutes: 10,
      ...(fineTune ? { criticWarmupSteps: fineTuneCriticWarmup(settings.steps) } : {}),
    });
    const motionFrom = config.geometry && !settings.resume ? (fineTune?.model ?? this.motionSource(settings.preset)) : undefined;
    const source = { folder, aligned: settings.aligned };
    const cacheDir = runCacheDir(runDir, source);
    // A resumed run exports where it began to; a new one where asked, else the fine-tune's default.
    const repaintRegion = settings.resume ? undefined : (settings.repaint ?? fineTune?.repaintRegion);
    checkRunRepaint(runDir, repaintRegion, config.geometry);
    const job: WorkerJob = {
      runDir, cacheDirs: [cacheDir], config, resume: settings.resume, build: [{ source, cacheDir }], patternTable: patternTableIn(this.deps.storage.root),
      ...(fineTune ? { initGeneratorFrom: fineTune.model } : {}),
      ...(motionFrom ? { motionFrom } : {}),
      ...(repaintRegion ? { repaintRegion } : {}),
    };
    const runId = crypto.randomUUID();
    const run: Run = {
      runDir,
      controller: new AbortController(),
      steps: [],
      terms: new Map(),
      sampleFile: null,
      announce: this.deps.bus.throttled('train.progress', 500),
      status: {
        runId, name: settings.name, state: 'running', phase: 'dataset',
        dataset: { done: 0, total: 0, faces: null, skipped: [] }, tuning: { done: 0, total: 0 },
        step: 0, totalSteps: settings.steps, epoch: 0, imagesPerSecond: 0, etaSeconds: 0,
        losses: { steps: [], terms: {} }, sampleStep: null, modelId: null,
      },
      finished: Promise.resolve(),
    };
    this.runs.set(runId, run);
    run.finished = this.run(run, job, settings.name, folder);
    return run.status;
  }

  status(runId: string): TrainStatus {
    const run = this.runOf(runId);
    return { ...run.status, losses: thinned(run) };
  }

  /** Stops after the current step (or image, while building the dataset); a checkpoint is written, so the run can be resumed. */
  stop(runId: string): TrainStatus {
    const run = this.runOf(runId);
    if (run.status.state === 'running') run.controller.abort();
    return this.status(runId);
  }

  sample(runId: string): { step: number; imageUrl: string } | null {
    const run = this.runOf(runId);
    if (!run.sampleFile || run.status.sampleStep === null || !fs.existsSync(run.sampleFile)) return null;
    return { step: run.status.sampleStep, imageUrl: `data:image/png;base64,${fs.readFileSync(run.sampleFile).toString('base64')}` };
  }

  /** Stops every running run and waits until each has ended (with its checkpoint). */
  async dispose(): Promise<void> {
    const runs = [...this.runs.values()];
    for (const run of runs) if (run.status.state === 'running') run.controller.abort();
    await Promise.all(runs.map((run) => run.finished));
  }

  /** Trains in the worker, then exports the generator into the models folder and offers it. */
  private run(run: Run, job: WorkerJob, name: string, folder: string): Promise<void> {
    const aborted = () => run.controller.signal.aborted;
    return runTrainingInWorker(job, (e) => onEvent(run, e), run.controller.signal)
      .then(() => {
        if (aborted()) {
          run.status = { ...run.status, state: 'stopped' };
          return;
        }
        run.status = { ...run.status, phase: 'exporting' };
        announce(run, true);
        const model = path.join(this.deps.models.modelsFolder(), `${name.replace(/\s+/g, '-')}.onnx`);
        exportRun(run.runDir, model, { dataNote: `trained in the studio on ${folder}` });
        run.status = { ...run.status, state: 'done', phase: 'done', modelId: this.deps.models.addModel(model) };
      })
      .catch((err) => {
        run.status = { ...run.status, state: aborted() ? 'stopped' : 'failed', ...(aborted() ? {} : { error: toErrorInfo(err) }) };
      })
      .finally(() => announce(run, true));
  }

  /** Where a geometry-first run gets its motion basis: the model in use, when it carries one; refused before any photo is read otherwise. */
  private motionSource(preset: string): string {
    const model = this.deps.models.activePath();
    if (readModelInfo(model).motionBasis !== null) return model;
    throw new StudioError('no-motion-basis', `the ${preset} preset trains geometry first and needs a landmark motion basis, which the model in use does not carry; use a model that has one (ganimation fit-motion and geometry-model make them) or a preset of the original family, such as light`);
  }

  private checkFolder(folder: string): string {
    const resolved = path.resolve(folder);
    const roots = this.dataRoots;
    if (roots && !roots.some((root) => resolved === root || resolved.startsWith(root + path.sep))) {
      throw new StudioError('folder-not-allowed', roots.length
        ? `${folder} is outside the folders this studio may read (${roots.join(', ')}); start it with --data-root to allow another`
        : 'this studio was started without --data-root, so it may not read training folders');
    }
    if (!fs.existsSync(resolved) || !fs.statSync(resolved).isDirectory()) throw new StudioError('no-such-folder', `training folder ${folder} does not exist or is not a folder`);
    return resolved;
  }

  private runOf(runId: string): Run {
    const run = this.runs.get(runId);
    if (!run) throw new StudioError('no-such-run', `no training run ${runId}`);
    return run;
  }
}

function thinned(run: Run): TrainStatus['losses'] {
  const n = run.steps.length;
  const stride = Math.max(1, Math.ceil(n / CHART_POINTS));
  const pick = <T>(xs: T[]) => xs.filter((_, i) => i % stride === 0 || i === n - 1);
  return { steps: pick(run.steps), terms: Object.fromEntries([...run.terms].map(([k, v]) => [k, pick(v)])) };
}

/** Tells the windows: the whole status, losses thinned; progress at most twice a second. */
function announce(run: Run, urgent: boolean): void {
  run.announce(() => ({ ...run.status, losses: thinned(run) }), urgent);
}

function onEvent(run: Run, e: WorkerEvent): void {
  const s = run.status;
  const phase = s.phase;
  switch (e.type) {
    case 'dataset':
      run.status = { ...s, phase: 'dataset', dataset: { ...s.dataset, done: e.done, total: e.total } };
      break;
    case 'dataset-done':
      run.status = { ...s, dataset: { ...s.dataset, done: s.dataset.total, faces: e.faces, skipped: e.skipped } };
      break;
    case 'patterns':
      run.status = { ...s, phase: 'tuning', tuning: { done: e.done, total: e.total } };
      break;
    case 'progress':
      recordLosses(run, e.step, e.losses);
      run.status = { ...s, phase: 'training', step: e.step, totalSteps: e.totalSteps, epoch: e.epoch, imagesPerSecond: e.imagesPerSecond, etaSeconds: e.etaSeconds };
      break;
    case 'sample':
      run.sampleFile = e.file;
      run.status = { ...s, sampleStep: e.step };
      break;
    default:
      break;
  }
  announce(run, e.type === 'sample' || e.type === 'dataset-done' || run.status.phase !== phase);
}

/** Appends one step's losses; a term first seen late is padded with nulls, one missing this step repeats its last value. */
function recordLosses(run: Run, step: number, losses: Readonly<Record<string, number>>): void {
  run.steps.push(step);
  for (const [k, v] of Object.entries(losses)) {
    const series = run.terms.get(k) ?? run.terms.set(k, new Array(run.steps.length - 1).fill(null)).get(k)!;
    series.push(v);
  }
  for (const series of run.terms.values()) if (series.length < run.steps.length) series.push(series.at(-1) ?? NaN);
}
