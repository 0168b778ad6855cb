// The GANimation losses as graph terms, keyed like the original's log ('D/gp', 'G/cyc'), with the
// original weights as defaults. Terms are already multiplied by their weight.
import * as G from '../graph';
import type { Critic } from './critic';
import type { Generator } from './generator';

export interface LossWeights {
  /** Adversarial (WGAN) term, critic and generator. */
  readonly adversarial: number;
  /** AU regression MSE (divided by the batch size, as the original). */
  readonly cond: number;
  /** Gradient penalty. */
  readonly gp: number;
  /** Cycle L1 reconstruction. */
  readonly cycle: number;
  /** Mean attention of both masks. */
  readonly mask: number;
  /** Total variation of both masks. */
  readonly maskSmooth: number;
}

export const DEFAULT_LOSS_WEIGHTS: LossWeights = Object.freeze({
  adversarial: 1,
  cond: 4000,
  gp: 10,
  cycle: 10,
  mask: 0.1,
  maskSmooth: 1e-5,
});

export type LossTerms = Record<string, G.Value>;

const mse = (a: G.Value, b: G.Value): G.Value => {
  const d = G.sub(a, b);
  return G.reduceMean(G.mul(d, d));
};

/** Sum of absolute differences between horizontal and vertical neighbours of [N, C, H, W]. */
export function totalVariation(mask: G.Value): G.Value {
  const [h, w] = mask.shape.slice(2) as number[];
  const cut = (axis: number, start: number, end: number) => G.slice(mask, { axes: [axis], starts: [start], ends: [end] });
  const dx = G.reduceSum(G.abs(G.sub(cut(3, 0, w - 1), cut(3, 1, w))));
  const dy = G.reduceSum(G.abs(G.sub(cut(2, 0, h - 1), cut(2, 1, h))));
  return G.add(dx, dy);
}

export interface CriticBatch {
  /** [B, 3, S, S] in [-1, 1]. */
  readonly real: G.Value;
  /** [B, 17]: AUs of the real images. */
  readonly realAus: G.Value;
  /** [B, 17]: the AUs the generator is asked to produce. */
  readonly targetAus: G.Value;
  /** [B, 1, 1, 1] in [0, 1]: gradient-penalty interpolation weights. */
  readonly alpha: G.Value;
}

/**
 * The critic's terms: 'D/real', 'D/cond', 'D/fake' (the main step) and 'D/gp', the WGAN-GP penalty
 * whose gradient w.r.t. the critic needs a second backward through dD/dx.
 */
export function criticLosses(gen: Generator, critic: Critic, batch: CriticBatch, batchSize: number, w = DEFAULT_LOSS_WEIGHTS): LossTerms {
  const real = critic.apply(batch.real);
  const fake = gen.apply(batch.real, batch.targetAus).composite;
  const fakeScore = critic.apply(fake).patch;
  const mixed = G.add(G.mul(batch.alpha, batch.real), G.mul(G.sub(1, batch.alpha), fake));
  const mixedScore = G.reduceSum(critic.apply(mixed).patch);
  const [grad] = G.backward(mixedScore, [mixed]);
  const norm = G.sqrt(G.reduceSum(G.mul(grad, grad), [1, 2, 3]));
  const gap = G.sub(norm, 1);
  return {
    'D/real': G.mul(G.neg(G.reduceMean(real.patch)), w.adversarial),
    'D/cond': G.mul(mse(real.aus, batch.realAus), w.cond / batchSize),
    'D/fake': G.mul(G.reduceMean(fakeScore), w.adversarial),
    'D/gp': G.mul(G.reduceMean(G.mul(gap, gap)), w.gp),
  };
}

export interface GeneratorBatch {
  readonly real: G.Value;
  readonly realAus: G.Value;
  readonly targetAus: G.Value;
}

/** The generator's terms: adversarial, AU condition, cycle, attention mean and smoothness of both passes. */
export function generatorLosses(gen: Generator, critic: Critic, batch: GeneratorBatch, batchSize: number, w = DEFAULT_LOSS_WEIGHTS): LossTerms {
  const forward = gen.apply(batch.real, batch.targetAus);
  const judged = critic.apply(forward.composite);
  const back = gen.apply(forward.composite, batch.realAus);
  return {
    'G/adv': G.mul(G.neg(G.reduceMean(judged.patch)), w.adversarial),
    'G/cond': G.mul(mse(judged.aus, batch.targetAus), w.cond / batchSize),
    'G/cyc': G.mul(G.reduceMean(G.abs(G.sub(back.composite, batch.real))), w.cycle),
    'G/mask': G.mul(G.reduceMean(forward.attention), w.mask),
    'G/mask_rec': G.mul(G.reduceMean(back.attention), w.mask),
    'G/smooth': G.mul(totalVariation(forward.attention), w.maskSmooth),
    'G/smooth_rec': G.mul(totalVariation(back.attention), w.maskSmooth),
  };
}

export const totalOf = (terms: LossTerms, keys: readonly string[] = Object.keys(terms)): G.Value =>
  G.sum(keys.map((k) => terms[k]));
