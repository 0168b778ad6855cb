// Every training hyperparameter in one place, each with the original GANimation default and a
// one-line doc; public options are filled once into this fully specified form.
import { StudioError } from '../../shared/errors';
import type { PresetName } from '../../shared/presets';
import { generatorFamily, presetByName } from '../model/config';
import { ADVERSARIAL_LOSSES, ATTENTION_PENALTIES, DEFAULT_LOSS_WEIGHTS, MOUTH_ATTENTIONS, PAIR_LOWPASS, type AdversarialLoss, type AttentionPenalty, type LossOptions, type LossWeights, type MouthAttention } from '../model/losses';
import { DEFAULT_ADAM, type AdamOptions } from './adam';
import type { CriticPart } from './step-graphs';
import { WEIGHT_GRAD_PATTERNS, type WeightGradPattern } from '../graph/emission';

/** What TrainConfig.weightGradPattern may say: measure on this machine, the size rule, or one pattern forced. */
export type WeightGradChoice = 'measured' | WeightGradPattern;
export const WEIGHT_GRAD_CHOICES: readonly WeightGradChoice[] = ['measured', 'auto', ...WEIGHT_GRAD_PATTERNS];

export type PairWarp = 'motion' | 'landmarks';
export const PAIR_WARPS: readonly PairWarp[] = ['motion', 'landmarks'];

export interface TrainConfig {
  /** Network sizes: 'paper', 'light' (CPU-friendly) or 'tiny' (tests). */
  readonly preset: PresetName;
  /** Images per step. */
  readonly batchSize: number;
  /** Critic steps to run in total; the generator steps once every `criticPerGenerator` of them (0 with a warm start: the warm start alone). */
  readonly steps: number;
  /** Supervised generator steps on same-performer pairs before the adversarial phase (0: none); needs the run's pairs and lossWeights.pair > 0. */
  readonly warmStartSteps: number;
  /**
   * Critic steps at the start of a run in which the generator does not step: a fine-tuned generator
   * meets a fresh critic, whose first gradients are noise that would undo it (0: none).
   */
  readonly criticWarmupSteps: number;
  /** Critic steps per generator step (original: 5). */
  readonly criticPerGenerator: number;
  /** Adam settings for both networks (original: lr 1e-4, betas 0.5/0.999). */
  readonly adam: AdamOptions;
  /** Share of the run, at its end, over which the learning rate decays linearly to 0 (original: last third). */
  readonly decayFraction: number;
  readonly lossWeights: LossWeights;
  /** 'wgan-gp' (original), or 'non-saturating' / 'hinge' with a lazy R1 penalty (lossWeights.r1 is its gamma). */
  readonly adversarialLoss: AdversarialLoss;
  /** Critic steps between R1 steps (non-saturating and hinge objectives); the term is scaled by it. */
  readonly r1Every: number;
  /** 'attention': the original mean(A); 'changed-area': mean(1 - A), the share of the face repainted. */
  readonly attentionPenalty: AttentionPenalty;
  /** Decay of an exponential moving average of the generator weights, which is then the exported model (0: off). */
  readonly emaDecay: number;
  /** Geometry first: warp each crop by the run's motion basis to the target AUs before the generator (the cycle warps back). */
  readonly geometry: boolean;
  /**
   * Where the warm start warps the neutral crop (geometry only): 'motion', by the motion basis to the
   * posed AUs, as the studio does; 'landmarks', onto the posed photo's own landmarks, so the pair
   * target lines up with the warped crop and differs from it only in what geometry cannot do.
   */
  readonly pairWarp: PairWarp;
  /** Side of the square, in crop pixels, the warm start's pair terms average over (1: none). */
  readonly pairLowPass: number;
  /** The mouth attention term (lossWeights.pairMouth): 'balanced', repaint inside the opening and keep outside it; 'inside', only the first. */
  readonly mouthAttention: MouthAttention;
  /** Target AUs = another sample's AUs + U(-n, n) (original: 0.1). */
  readonly targetNoise: number;
  /** 'combined' takes one critic step on main + GP; 'separate' steps GP after main, as the original. */
  readonly gradientPenaltyStep: 'combined' | 'separate';
  /** Mirror training images left-right with probability 1/2. */
  readonly flip: boolean;
  /** Share of files held out for validation (split by file, fixed seed). */
  readonly validationFraction: number;
  /** Write a sample grid every N critic steps (0: only at the end). */
  readonly sampleEvery: number;
  /** Compute validation losses every N critic steps (0: never). */
  readonly validateEvery: number;
  /** Write a checkpoint at least every N minutes, and at the end. */
  readonly checkpointMinutes: number;
  /** Checkpoints kept on disk; older ones are removed. */
  readonly keepCheckpoints: number;
  /** Seed of weight init, data order, flips, noise and the split. */
  readonly seed: number;
  /**
   * How the step graphs emit each Conv weight gradient: 'measured', the fastest pattern timed on this
   * machine (weight-grad-tuning.ts; a resumed run keeps its choices); 'auto', the size rule; or one
   * pattern forced ('im2col', 'per-tap', 'conv', 'output-taps'). Every pattern is exact.
   */
  readonly weightGradPattern: WeightGradChoice;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = Object.freeze({
  preset: 'light',
  batchSize: 4,
  steps: 10_000,
  warmStartSteps: 0,
  criticWarmupSteps: 0,
  criticPerGenerator: 5,
  adam: DEFAULT_ADAM,
  decayFraction: 1 / 3,
  lossWeights: DEFAULT_LOSS_WEIGHTS,
  adversarialLoss: 'wgan-gp',
  r1Every: 16,
  attentionPenalty: 'attention',
  emaDecay: 0,
  geometry: false,
  pairWarp: 'motion',
  pairLowPass: PAIR_LOWPASS,
  mouthAttention: 'balanced',
  targetNoise: 0.1,
  gradientPenaltyStep: 'combined',
  flip: true,
  validationFraction: 0.05,
  sampleEvery: 500,
  validateEvery: 250,
  checkpointMinutes: 10,
  keepCheckpoints: 3,
  seed: 1,
  weightGradPattern: 'measured',
});

/** A training option out of range; the message names the field. */
export class TrainConfigError extends StudioError {
  constructor(message: string) {
    super('bad-train-config', message);
  }
}

/**
 * The studio's CPU recipe, the defaults for presets of the residual (identity-start) family: geometry
 * first, one critic step per generator step with a non-saturating loss and lazy R1, the changed-area
 * penalty, a zero-edit reconstruction term, a moving average of the generator, and the pair term
 * for an optional warm start.
 */
export const STUDIO_RECIPE: Partial<TrainConfig> = Object.freeze({
  criticPerGenerator: 1,
  adversarialLoss: 'non-saturating',
  r1Every: 16,
  attentionPenalty: 'changed-area',
  emaDecay: 0.999,
  geometry: true,
  lossWeights: { ...DEFAULT_LOSS_WEIGHTS, reconstruction: 10, r1: 1, pair: 10 },
});

/** A run's options as given: any field may be left out, loss weights one by one. */
export type TrainOptions = Partial<Omit<TrainConfig, 'lossWeights'>> & { readonly lossWeights?: Partial<LossWeights> };

/** Fills defaults (the original's, or the studio recipe for the residual family's presets) and validates; the error names the field. */
export function resolveTrainConfig(options: TrainOptions): TrainConfig {
  const family = generatorFamily(presetByName(options.preset ?? DEFAULT_TRAIN_CONFIG.preset).generator);
  const base: TrainConfig = family === 'residual' ? { ...DEFAULT_TRAIN_CONFIG, ...STUDIO_RECIPE } : DEFAULT_TRAIN_CONFIG;
  // Loss weights merge key by key, so a checkpoint from before a term existed gets its default.
  const cfg: TrainConfig = { ...base, ...options, lossWeights: { ...base.lossWeights, ...options.lossWeights } };
  presetByName(cfg.preset);
  const positiveInt = ['batchSize', 'criticPerGenerator', 'keepCheckpoints', 'r1Every', 'pairLowPass'] as const;
  for (const key of positiveInt) {
    if (!Number.isInteger(cfg[key]) || cfg[key] < 1) throw new TrainConfigError(`${key} must be a positive integer, got ${cfg[key]}`);
  }
  if (!Number.isInteger(cfg.steps) || cfg.steps < (cfg.warmStartSteps > 0 ? 0 : 1)) throw new TrainConfigError(`steps must be a positive integer (or 0 after a warm start: the warm start alone), got ${cfg.steps}`);
  for (const key of ['warmStartSteps', 'criticWarmupSteps'] as const) {
    if (!Number.isInteger(cfg[key]) || cfg[key] < 0) throw new TrainConfigError(`${key} must be an integer >= 0, got ${cfg[key]}`);
  }
  const fractions = ['decayFraction', 'validationFraction', 'targetNoise', 'emaDecay'] as const;
  for (const key of fractions) {
    if (!(cfg[key] >= 0 && cfg[key] <= 1)) throw new TrainConfigError(`${key} must be within [0, 1], got ${cfg[key]}`);
  }
  if (!(cfg.adam.lr > 0)) throw new TrainConfigError(`adam.lr must be positive, got ${cfg.adam.lr}`);
  if (!['combined', 'separate'].includes(cfg.gradientPenaltyStep)) {
    throw new TrainConfigError(`gradientPenaltyStep must be 'combined' or 'separate', got ${cfg.gradientPenaltyStep}`);
  }
  if (!ADVERSARIAL_LOSSES.includes(cfg.adversarialLoss)) throw new TrainConfigError(`adversarialLoss must be one of ${ADVERSARIAL_LOSSES.join(', ')}, got ${cfg.adversarialLoss}`);
  if (!MOUTH_ATTENTIONS.includes(cfg.mouthAttention)) throw new TrainConfigError(`mouthAttention must be one of ${MOUTH_ATTENTIONS.join(', ')}, got ${cfg.mouthAttention}`);
  if (!WEIGHT_GRAD_CHOICES.includes(cfg.weightGradPattern)) throw new TrainConfigError(`weightGradPattern must be one of ${WEIGHT_GRAD_CHOICES.join(', ')}, got ${cfg.weightGradPattern}`);
  if (!PAIR_WARPS.includes(cfg.pairWarp)) throw new TrainConfigError(`pairWarp must be one of ${PAIR_WARPS.join(', ')}, got ${cfg.pairWarp}`);
  const cropSize = presetByName(cfg.preset).generator.imageSize;
  if (cropSize % cfg.pairLowPass !== 0) throw new TrainConfigError(`pairLowPass ${cfg.pairLowPass} must divide the ${cfg.preset} preset's crop size ${cropSize}`);
  if (!ATTENTION_PENALTIES.includes(cfg.attentionPenalty)) throw new TrainConfigError(`attentionPenalty must be one of ${ATTENTION_PENALTIES.join(', ')}, got ${cfg.attentionPenalty}`);
  for (const [key, value] of Object.entries(cfg.lossWeights)) {
    if (!(Number.isFinite(value) && value >= 0)) throw new TrainConfigError(`lossWeights.${key} must be a number >= 0, got ${value}`);
  }
  if (cfg.lossWeights.pairMouth > 0 && !(cfg.geometry && cfg.pairWarp === 'landmarks')) throw new TrainConfigError(`lossWeights.pairMouth needs geometry with pairWarp 'landmarks' (the mouth opening is the posed photo's, warped onto), got geometry ${cfg.geometry}, pairWarp '${cfg.pairWarp}'`);
  if (cfg.warmStartSteps > 0 && !(cfg.lossWeights.pair > 0)) throw new TrainConfigError(`warmStartSteps ${cfg.warmStartSteps} needs lossWeights.pair > 0 (the warm start learns from that term alone), got ${cfg.lossWeights.pair}`);
  return cfg;
}

export const lossOptionsOf = (cfg: TrainConfig): LossOptions => ({ adversarial: cfg.adversarialLoss, attentionPenalty: cfg.attentionPenalty, r1Every: cfg.r1Every, pairLowPass: cfg.pairLowPass, mouthAttention: cfg.mouthAttention });

/** Learning rate at a critic step: constant, then linear decay to 0 over the last `decayFraction` of the run. */
export function learningRateAt(cfg: TrainConfig, step: number): number {
  const decayStart = cfg.steps * (1 - cfg.decayFraction);
  if (step < decayStart || cfg.decayFraction === 0) return cfg.adam.lr;
  return cfg.adam.lr * Math.max(0, (cfg.steps - step) / (cfg.steps - decayStart));
}

/** The critic graphs a run compiles: WGAN-GP's combined or separate steps, or the main step plus the lazy R1 step. */
export function criticPartsFor(cfg: TrainConfig): CriticPart[] {
  if (cfg.adversarialLoss !== 'wgan-gp') return cfg.lossWeights.r1 > 0 ? ['main', 'r1'] : ['main'];
  return cfg.gradientPenaltyStep === 'combined' ? ['main+gp'] : ['main', 'gp'];
}
