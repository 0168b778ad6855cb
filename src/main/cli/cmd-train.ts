// `ganimation train`: builds the dataset cache, trains in a worker thread with a live progress line,
// and exports the generator when the run completes. Ctrl+C stops after a checkpoint; --resume continues.
import fs from 'node:fs';
import path from 'node:path';
import { formatDuration } from '../../shared/duration';
import { FINE_TUNE_STEPS } from '../../shared/fine-tune';
import { latestCheckpoint, loadCheckpoint } from '../train/checkpoint';
import { ADVERSARIAL_LOSSES, ATTENTION_PENALTIES, MOUTH_ATTENTIONS, type LossWeights } from '../model/losses';
import { DEFAULT_TRAIN_CONFIG, PAIR_WARPS, resolveTrainConfig, WEIGHT_GRAD_CHOICES, type TrainConfig, type WeightGradChoice } from '../train/train-config';
import { DEFAULT_HOME, patternTableIn } from '../io/app-home';
import type { TrainEvent } from '../train/trainer';
import { RUN_CACHE_NAMES } from '../train/dataset';
import { exportRun } from '../train/export-run';
import { checkRunRepaint } from '../train/run-motion';
import { runTrainingInWorker, type WorkerEvent } from '../train/train-worker';
import { StudioError } from '../../shared/errors';
import { fineTuneCriticWarmup, fineTuneStart, type FineTuneStart } from '../train/fine-tune';
import { defaultModelPath } from './default-model';
import { UsageError, type FlagSpecs, type FlagValues } from './args';
import { REPAINT_FLAG } from './card-flags';
import { buildFromFlags, datasetFlags } from './cmd-dataset';
import { defineCommand, endProgressLine, progressLine, onStopSignal } from './command';

const TRAIN_FLAGS = {
  data: { type: 'string', description: 'folder of face images (searched recursively)', required: true, placeholder: 'dir' },
  'aligned-data': { type: 'string', description: 'a second folder, of already-aligned face crops, trained on together with --data', placeholder: 'dir' },
  out: { type: 'string', description: 'run folder: dataset cache, checkpoints, samples, log, model', required: true, placeholder: 'dir' },
  ...datasetFlags,
  steps: { type: 'number', description: `critic steps (default ${FINE_TUNE_STEPS} when fine-tuning, short on purpose: longer fine-tunes drift from the starting model; 10000 from scratch; the generator steps every --critic-per-generator of them; 0 with --warm-start: the warm start alone)` },
  batch: { type: 'number', description: 'batch size (default 4)' },
  seed: { type: 'number', description: 'random seed (default 1)' },
  'sample-every': { type: 'number', description: 'write a sample grid every N steps (default 500)' },
  'checkpoint-minutes': { type: 'number', description: 'checkpoint at least every N minutes (default 10)' },
  resume: { type: 'boolean', description: "continue from the run folder's latest checkpoint" },
  repaint: { ...REPAINT_FLAG, description: `where the trained model may repaint, and so where the run trains it to: mouth-opening (only where the warp opens a closed mouth; the default when fine-tuning a geometry-first model: so limited, a fine-tune kept the likeness of the model it started from on other people, where repainting anywhere cost some) or anywhere (the default otherwise)` },
  'init-from': { type: 'string', description: "fine-tune this model file instead of the bundled one (its preset, generator and motion basis; the critic and optimizer start fresh)", placeholder: 'onnx' },
  'from-scratch': { type: 'boolean', description: 'train new networks from random weights instead of fine-tuning the bundled model (then --preset chooses them)' },
  'critic-per-generator': { type: 'number', description: 'critic steps per generator step (original 5; the studio recipe 1)' },
  loss: { type: 'string', description: 'adversarial objective (original wgan-gp; the studio recipe non-saturating, with lazy R1)', choices: ADVERSARIAL_LOSSES },
  'attention-penalty': { type: 'string', description: 'mask term: attention = mean(A) (original), changed-area = mean(1 - A) (studio recipe)', choices: ATTENTION_PENALTIES },
  ema: { type: 'number', description: 'moving-average decay of the exported generator, 0 off (studio recipe 0.999)' },
  geometry: { type: 'string', description: 'warp each crop by the motion basis before the generator (studio recipe on)', choices: ['on', 'off'] },
  reconstruction: { type: 'number', description: 'weight of the zero-edit reconstruction L1 (studio recipe 10, original 0)' },
  r1: { type: 'number', description: 'R1 gamma of the non-saturating and hinge objectives (studio recipe 1)' },
  pairs: { type: 'string', description: 'labelled folder (labels.csv: file, performer, expression) whose same-performer neutral/posed pairs among the --data training crops feed the warm start', placeholder: 'dir' },
  'warm-start': { type: 'number', description: 'supervised generator steps on the --pairs before the adversarial phase (default 0)' },
  'critic-warmup': { type: 'number', description: 'critic steps before the generator first steps (default: 200 when fine-tuning, else 0)' },
  lr: { type: 'number', description: 'Adam learning rate of both networks (default 1e-4, the original)' },
  cond: { type: 'number', description: "weight of the AU-condition terms: the critic's AU regression and the generator's (original 4000)" },
  'pair-weight': { type: 'number', description: "weight of the warm start's low-passed pair L1 (studio recipe 10, original 0)" },
  'pair-colour': { type: 'number', description: "weight of the warm start's pair L1 on the colour head alone, not gated by the attention (default 0)" },
  'mask-weight': { type: 'number', description: "weight of the attention penalty (original 0.1): higher keeps more of the input" },
  'pair-mouth': { type: 'number', description: "weight of the warm start's mouth terms: repaint the posed photo's mouth opening with its interior (needs --pair-warp landmarks; default 0)" },
  'mouth-attention': { type: 'string', description: "the warm start's mouth attention term: balanced (default; repaint inside the opening, keep outside it) or inside (repaint inside only)", choices: MOUTH_ATTENTIONS },
  'pair-warp': { type: 'string', description: "where the warm start warps the neutral crop: by the motion basis (default), or onto the posed photo's landmarks", choices: PAIR_WARPS },
  'pair-lowpass': { type: 'number', description: "side in crop pixels of the blocks the warm start's pair terms average over (default 4; 1 none)" },
  'weight-grad': { type: 'string', description: `how the training graphs emit each conv weight gradient: measured (default; timed once on this machine, kept in ${patternTableIn(DEFAULT_HOME)}), auto (the size rule), or one pattern forced`, choices: WEIGHT_GRAD_CHOICES },
  motion: { type: 'string', description: 'motion basis for geometry-first training (a fit-motion .json, or a model that carries one); default: the --init-from model\'s', placeholder: 'file' },
} as const satisfies FlagSpecs;

/** The key and value when the flag was given, else nothing, so the run's (or the default) value stays. */
function given<T>() {
  return <K extends keyof T>(key: K, value: T[K] | undefined): { -readonly [P in K]?: T[P] } => {
    const out: { -readonly [P in K]?: T[P] } = {};
    if (value !== undefined) out[key] = value;
    return out;
  };
}
const option = given<TrainConfig>();
const weight = given<LossWeights>();

function configFrom(flags: FlagValues<typeof TRAIN_FLAGS>, runDir: string, start: FineTuneStart | null): TrainConfig {
  const latest = flags.resume ? latestCheckpoint(path.join(runDir, 'checkpoints')) : null;
  const base: Partial<TrainConfig> = latest ? loadCheckpoint(latest).state.config : {};
  // A fine-tune is short unless asked otherwise; a resumed or new-from-scratch run keeps its own default.
  const steps = flags.steps ?? (start ? FINE_TUNE_STEPS : undefined);
  return resolveTrainConfig({
    ...base,
    ...option('preset', start?.preset ?? flags.preset),
    ...option('steps', steps),
    ...option('criticWarmupSteps', flags['critic-warmup'] ?? (start && steps !== undefined ? fineTuneCriticWarmup(steps) : undefined)),
    ...(flags.lr === undefined ? {} : { adam: { ...(base.adam ?? DEFAULT_TRAIN_CONFIG.adam), lr: flags.lr } }),
    ...option('warmStartSteps', flags['warm-start']),
    ...option('batchSize', flags.batch),
    ...option('seed', flags.seed),
    ...option('weightGradPattern', flags['weight-grad'] as WeightGradChoice | undefined),
    ...option('sampleEvery', flags['sample-every']),
    ...option('checkpointMinutes', flags['checkpoint-minutes']),
    ...option('validationFraction', flags['validation-fraction']),
    ...option('criticPerGenerator', flags['critic-per-generator']),
    ...option('adversarialLoss', flags.loss),
    ...option('attentionPenalty', flags['attention-penalty']),
    ...option('emaDecay', flags.ema),
    ...option('geometry', flags.geometry === undefined ? undefined : flags.geometry === 'on'),
    ...option('pairWarp', flags['pair-warp']),
    ...option('pairLowPass', flags['pair-lowpass']),
    ...option('mouthAttention', flags['mouth-attention']),
    lossWeights: { ...base.lossWeights, ...weight('reconstruction', flags.reconstruction), ...weight('r1', flags.r1), ...weight('pair', flags['pair-weight']), ...weight('pairColour', flags['pair-colour']), ...weight('pairMouth', flags['pair-mouth']), ...weight('cond', flags.cond), ...weight('mask', flags['mask-weight']) },
  });
}

/** Where a new run starts: the --init-from model, else the bundled one; null: resumed, or from scratch. */
function startOf(flags: FlagValues<typeof TRAIN_FLAGS>): FineTuneStart | null {
  const initFrom = flags['init-from'];
  if (initFrom && flags['from-scratch']) throw new UsageError('--init-from fine-tunes a model and --from-scratch starts from random weights: give one of them');
  if (flags.resume) {
    if (initFrom || flags['from-scratch']) throw new UsageError(`--resume continues the run's own networks; it cannot be combined with ${initFrom ? '--init-from' : '--from-scratch'}`);
    return null;
  }
  if (flags['from-scratch']) return null;
  if (initFrom && !fs.existsSync(initFrom)) throw new UsageError(`--init-from: no model file ${initFrom}`);
  try {
    return fineTuneStart(initFrom ?? defaultModelPath(), flags.preset);
  } catch (err) {
    if (err instanceof StudioError && err.code === 'preset-mismatch') throw new UsageError(`${err.message} (--from-scratch)`);
    throw err;
  }
}

function describe(e: WorkerEvent): string | null {
  if (e.type === 'patterns') return `timing conv weight gradients on this machine ${e.done + 1}/${e.total}`;
  if (e.type !== 'progress') return null;
  const l = e.losses;
  if (e.phase === 'warm-start') return `warm start ${e.step}/${e.totalSteps} epoch ${e.epoch} | ${e.imagesPerSecond.toFixed(2)} img/s | ETA ${formatDuration(e.etaSeconds)} | pair ${l['G/pair']?.toFixed(3) ?? '-'} colour ${l['G/pair-colour']?.toFixed(3) ?? '-'} mouth ${l['G/mouth-attention']?.toFixed(3) ?? '-'}/${l['G/mouth-colour']?.toFixed(3) ?? '-'} mask ${l['G/mask']?.toFixed(3) ?? '-'} rec ${l['G/rec']?.toFixed(3) ?? '-'}`;
  const regulariser = 'D/gp' in l ? `gp ${l['D/gp'].toFixed(3)}` : 'D/r1' in l ? `r1 ${l['D/r1'].toFixed(3)}` : '';
  return `step ${e.step}/${e.totalSteps} epoch ${e.epoch} | ${e.imagesPerSecond.toFixed(2)} img/s | ETA ${formatDuration(e.etaSeconds)} | D ${l['D/total']?.toFixed(3)} ${regulariser} | G ${l['G/total']?.toFixed(3) ?? '-'} cyc ${l['G/cyc']?.toFixed(3) ?? '-'}`;
}

function reportPairs(e: Extract<WorkerEvent, { type: 'pairs-done' }>): void {
  console.log(`warm start: ${e.pairs} same-performer pairs from ${e.folder}, ${e.refused.length} refused; ${e.unmatchedRows} labels.csv rows match no training crop`);
  for (const r of e.refused.slice(0, 5)) console.log(`  refused ${r.posedFile} against ${r.neutralFile}: ${r.reason}`);
  if (e.refused.length > 5) console.log(`  ... and ${e.refused.length - 5} more`);
}

export const trainCommand = defineCommand({
  name: 'train',
  summary: 'train a generator on a folder of face photos',
  usage: '--data <folder> --out runs/<name> [--aligned-data <folder>] [--aligned] [--labels aus.csv] [--init-from m.onnx | --from-scratch [--preset studio]] [--steps N] [--batch B] [--pairs <labelled folder> --warm-start N] [--resume]',
  flags: TRAIN_FLAGS,
  async run({ flags }) {
    const runDir = flags.out;
    if (flags.resume && !latestCheckpoint(path.join(runDir, 'checkpoints'))) throw new UsageError(`--resume: no checkpoint in ${runDir}`);
    const start = startOf(flags);
    const initFrom = start?.model;
    const motion = flags.motion;
    if (motion && !fs.existsSync(motion)) throw new UsageError(`--motion: no file ${motion}`);
    const pairsFrom = flags.pairs;
    if (pairsFrom && !fs.existsSync(path.join(pairsFrom, 'labels.csv'))) throw new UsageError(`--pairs: no labels.csv in ${pairsFrom}`);
    if (flags['warm-start'] && !pairsFrom) throw new UsageError('--warm-start learns from same-performer pairs: give --pairs <folder with labels.csv>');
    const repaintRegion = flags.repaint ?? start?.repaintRegion;
    if (start) console.log(`fine-tuning ${start.model} (${start.preset} preset${start.geometry ? ', its motion basis' : ''}${repaintRegion === 'mouth-opening' ? '; repainting only the mouth openings its warp makes (--repaint anywhere lifts that)' : ''}); --from-scratch trains new networks instead`);
    fs.mkdirSync(runDir, { recursive: true });
    const config = configFrom(flags, runDir, start);
    checkRunRepaint(runDir, repaintRegion, config.geometry);
    const controller = new AbortController();
    const stop = () => {
      progressLine('stopping after the current step (a checkpoint will be written)...');
      controller.abort();
    };
    const removeStopSignal = onStopSignal(stop);
    const sources = [{ folder: flags.data, cacheDir: path.join(runDir, RUN_CACHE_NAMES.detected), aligned: !!flags.aligned }];
    const alignedData = flags['aligned-data'];
    if (alignedData) sources.push({ folder: alignedData, cacheDir: path.join(runDir, RUN_CACHE_NAMES.aligned), aligned: true });
    let trainFaces = 0;
    for (const source of sources) {
      const manifest = await buildFromFlags(source.folder, source.cacheDir, { ...flags, aligned: source.aligned, preset: config.preset }, controller.signal);
      trainFaces += manifest.items.filter((i) => i.split === 'train').length;
    }
    if (trainFaces === 0) throw new Error(`no usable training faces in ${sources.map((s) => s.folder).join(' or ')}`);
    let done: Extract<TrainEvent, { type: 'done' }> | null = null;
    await runTrainingInWorker({ runDir, cacheDirs: sources.map((s) => s.cacheDir), config, resume: !!flags.resume, patternTable: patternTableIn(DEFAULT_HOME), ...(initFrom ? { initGeneratorFrom: initFrom } : {}), ...(motion ? { motionFrom: motion } : {}), ...(pairsFrom ? { pairsFrom } : {}), ...(repaintRegion ? { repaintRegion } : {}) }, (e) => {
      if (e.type === 'pairs-done') reportPairs(e);
      if (e.type === 'patterns-done' && e.measured > 0) console.log(`conv weight gradients: ${e.measured} of ${e.cases} timed on this machine in ${formatDuration(e.elapsedMs / 1000)} (${Object.entries(e.patterns).map(([p, n]) => `${p} ${n}`).join(', ')})`);
      const line = describe(e);
      if (line) progressLine(line);
      if (e.type === 'done') done = e;
    }, controller.signal);
    removeStopSignal();
    endProgressLine();
    const finished = done as Extract<TrainEvent, { type: 'done' }> | null;
    if (!finished || finished.cancelled) {
      console.log(`stopped at step ${finished?.step ?? '?'}; continue with --resume`);
      return;
    }
    const model = path.join(runDir, 'model.onnx');
    exportRun(runDir, model);
    const what = config.steps === 0 ? `the warm start (${config.warmStartSteps} steps)` : `${finished.step} steps`;
    console.log(`done: ${what} in ${formatDuration(finished.elapsedMs / 1000)}; model ${model}; samples ${path.join(runDir, 'samples')}`);
  },
});
