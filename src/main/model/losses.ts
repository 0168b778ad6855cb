// The GANimation losses as graph terms, keyed like the original's log ('D/gp', 'G/cyc'), with the
// original weights and the original WGAN-GP objective as defaults; the studio's CPU recipe adds a
// non-saturating or hinge objective with a lazy R1 penalty, a zero-edit reconstruction term, a
// changed-area penalty, and geometry (a warp of the input and its inverse in the cycle). Terms are
// already multiplied by their weight.
import * as G from '../graph';
import type { Critic } from './critic';
import type { Generator, GeneratorOutputs } from './generator';

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
  /** Zero-edit reconstruction L1(G(x, own AUs), x) (the studio recipe; 0 in the original). */
  readonly reconstruction: number;
  /** R1 penalty gamma: gamma / 2 * E|dD(real)/dx|^2 (non-saturating and hinge objectives). */
  readonly r1: number;
  /** Warm start: L1 between the low-passed output and the low-passed posed photo of the same performer (0 in the original). */
  readonly pair: number;
  /**
   * Warm start: the same L1 on the colour head alone, not weighted by the attention (0: off). At the
   * identity start the colour equals the input, so the attention gets no gradient from 'G/pair', and
   * the keep-biased attention passes the colour only ~2% of it: this term lets the colour learn
   * teeth and shading first, and the attention then opens where the colour beats the input.
   */
  readonly pairColour: number;
  /**
   * Warm start with the landmark warp: the attention is asked to repaint exactly where the posed
   * photo's mouth is open, and the colour to be the posed photo's mouth there (its teeth and
   * interior) ('G/mouth-attention', 'G/mouth-colour'; 0: off). Nothing else tells the generator that
   * stretched lips are a mouth interior it should paint, and that closed lips are not.
   */
  readonly pairMouth: number;
}

/** The adversarial objective: the original's WGAN with gradient penalty, or a non-saturating / hinge GAN with R1. */
export type AdversarialLoss = 'wgan-gp' | 'non-saturating' | 'hinge';
export const ADVERSARIAL_LOSSES: readonly AdversarialLoss[] = ['wgan-gp', 'non-saturating', 'hinge'];

/**
 * What the mask term penalises: 'attention' is the original mean(A) (it pulls toward repainting,
 * since A = 1 keeps the input); 'changed-area' is mean(1 - A), the share of the face repainted.
 */
export type AttentionPenalty = 'attention' | 'changed-area';
export const ATTENTION_PENALTIES: readonly AttentionPenalty[] = ['attention', 'changed-area'];

export interface LossOptions {
  readonly adversarial: AdversarialLoss;
  readonly attentionPenalty: AttentionPenalty;
  /** Lazy regularisation: the R1 term is taken every N critic steps and scaled by N. */
  readonly r1Every: number;
  /** Side of the square, in crop pixels, the warm start's pair terms average over (default PAIR_LOWPASS). */
  readonly pairLowPass?: number;
  /** 'G/mouth-attention': 'balanced' (default) asks to repaint inside the opening and to keep outside it; 'inside' only the first (its first form). */
  readonly mouthAttention?: MouthAttention;
}

export type MouthAttention = 'balanced' | 'inside';
export const MOUTH_ATTENTIONS: readonly MouthAttention[] = ['balanced', 'inside'];

export const ORIGINAL_LOSS_OPTIONS: LossOptions = Object.freeze({ adversarial: 'wgan-gp', attentionPenalty: 'attention', r1Every: 1 });

export const DEFAULT_LOSS_WEIGHTS: LossWeights = Object.freeze({
  adversarial: 1,
  cond: 4000,
  gp: 10,
  cycle: 10,
  mask: 0.1,
  maskSmooth: 1e-5,
  reconstruction: 0,
  r1: 0,
  pair: 0,
  pairColour: 0,
  pairMouth: 0,
});

export type LossTerms = Record<string, G.Value>;

/** log(1 + e^x), stable for large |x|: relu(x) + log(1 + e^-|x|). */
export function softplus(x: G.Value): G.Value {
  return G.add(G.relu(x), G.log(G.add(G.exp(G.neg(G.abs(x))), 1)));
}

const l1 = (a: G.Value, b: G.Value): G.Value => G.reduceMean(G.abs(G.sub(a, b)));

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

/**
 * Geometry inside the step graphs: `forward` warps a real crop to the target expression's
 * landmarks (the generator's input), `inverse` warps an output back to the source landmarks (the
 * cycle's input). Both are linear in the image, so gradients flow through them exactly.
 */
export interface BatchWarp {
  readonly forward: (image: G.Value) => G.Value;
  readonly inverse: (image: G.Value) => G.Value;
  /**
   * Where each pass may repaint, [B, 1, S, S] in [0, 1] (a model limited to the mouth opening):
   * outside it the output is the pass's input whatever the attention says, as in the studio. Absent:
   * anywhere. The attention terms still see the network's own attention.
   */
  readonly gate?: { readonly forward: G.Value; readonly inverse: G.Value };
}

export interface GeneratorBatch {
  /** [B, 3, S, S] in [-1, 1]. */
  readonly real: G.Value;
  /** [B, 17]: AUs of the real images. */
  readonly realAus: G.Value;
  /** [B, 17]: the AUs the generator is asked to produce. */
  readonly targetAus: G.Value;
  /** Absent: no geometry (the original). */
  readonly warp?: BatchWarp;
}

export interface CriticBatch extends GeneratorBatch {
  /** [B, 1, 1, 1] in [0, 1]: gradient-penalty interpolation weights (WGAN-GP only). */
  readonly alpha: G.Value;
}

/** The generator's input for the forward pass: the real crop, warped when the batch has geometry. */
const sourceOf = (batch: Pick<GeneratorBatch, 'real'> & { readonly warp?: Pick<BatchWarp, 'forward'> }): G.Value => (batch.warp ? batch.warp.forward(batch.real) : batch.real);

/** The generator's output on `image`, its composite limited to `gate` when given: the attention is 1 - (1 - A) * gate. */
function pass(gen: Generator, image: G.Value, aus: G.Value, gate?: G.Value): GeneratorOutputs {
  const out = gen.apply(image, aus);
  if (!gate) return out;
  const kept = G.sub(1, G.mul(G.sub(1, out.attention), gate));
  return { ...out, composite: G.add(G.mul(kept, image), G.mul(G.sub(1, kept), out.color)) };
}

/** Mean over the batch of |d sum(D(x)) / dx|^2 per sample. */
function gradientSquaredNorm(critic: Critic, x: G.Value): G.Value {
  const [grad] = G.backward(G.reduceSum(critic.apply(x).patch), [x]);
  return G.reduceSum(G.mul(grad, grad), [1, 2, 3]);
}

/**
 * The critic's terms: 'D/real', 'D/cond', 'D/fake' (the main step) and the regulariser: 'D/gp' for
 * WGAN-GP (its gradient w.r.t. the critic needs a second backward through dD/dx), or 'D/r1' for the
 * non-saturating and hinge objectives (a separate, lazy step).
 */
export function criticLosses(gen: Generator, critic: Critic, batch: CriticBatch, batchSize: number, w = DEFAULT_LOSS_WEIGHTS, o = ORIGINAL_LOSS_OPTIONS): LossTerms {
  const real = critic.apply(batch.real);
  const fake = pass(gen, sourceOf(batch), batch.targetAus, batch.warp?.gate?.forward).composite;
  const fakeScore = critic.apply(fake).patch;
  const cond = G.mul(mse(real.aus, batch.realAus), w.cond / batchSize);
  if (o.adversarial === 'wgan-gp') {
    const mixed = G.add(G.mul(batch.alpha, batch.real), G.mul(G.sub(1, batch.alpha), fake));
    const gap = G.sub(G.sqrt(gradientSquaredNorm(critic, mixed)), 1);
    return {
      'D/real': G.mul(G.neg(G.reduceMean(real.patch)), w.adversarial),
      'D/cond': cond,
      'D/fake': G.mul(G.reduceMean(fakeScore), w.adversarial),
      'D/gp': G.mul(G.reduceMean(G.mul(gap, gap)), w.gp),
    };
  }
  const [realTerm, fakeTerm] = o.adversarial === 'hinge'
    ? [G.relu(G.sub(1, real.patch)), G.relu(G.add(fakeScore, 1))]
    : [softplus(G.neg(real.patch)), softplus(fakeScore)];
  return {
    'D/real': G.mul(G.reduceMean(realTerm), w.adversarial),
    'D/cond': cond,
    'D/fake': G.mul(G.reduceMean(fakeTerm), w.adversarial),
    'D/r1': G.mul(G.reduceMean(gradientSquaredNorm(critic, batch.real)), (w.r1 / 2) * o.r1Every),
  };
}

/**
 * The generator's terms: adversarial, AU condition, cycle, the attention penalty and smoothness of
 * both passes, and (when weighted) the zero-edit reconstruction. With geometry the cycle's input is
 * the output warped back, and its reference is the real crop warped there and back, so an identity
 * generator pays nothing for the resampling.
 */
export function generatorLosses(gen: Generator, critic: Critic, batch: GeneratorBatch, batchSize: number, w = DEFAULT_LOSS_WEIGHTS, o = ORIGINAL_LOSS_OPTIONS): LossTerms {
  const forward = pass(gen, sourceOf(batch), batch.targetAus, batch.warp?.gate?.forward);
  const judged = critic.apply(forward.composite);
  const back = pass(gen, batch.warp ? batch.warp.inverse(forward.composite) : forward.composite, batch.realAus, batch.warp?.gate?.inverse);
  const cycleReference = batch.warp ? batch.warp.inverse(sourceOf(batch)) : batch.real;
  const penalty = (attention: G.Value) => attentionPenalty(attention, o);
  const adversarial = o.adversarial === 'non-saturating' ? G.reduceMean(softplus(G.neg(judged.patch))) : G.neg(G.reduceMean(judged.patch));
  const terms: LossTerms = {
    'G/adv': G.mul(adversarial, w.adversarial),
    'G/cond': G.mul(mse(judged.aus, batch.targetAus), w.cond / batchSize),
    'G/cyc': G.mul(l1(back.composite, cycleReference), w.cycle),
    'G/mask': G.mul(penalty(forward.attention), w.mask),
    'G/mask_rec': G.mul(penalty(back.attention), w.mask),
    'G/smooth': G.mul(totalVariation(forward.attention), w.maskSmooth),
    'G/smooth_rec': G.mul(totalVariation(back.attention), w.maskSmooth),
  };
  if (w.reconstruction > 0) terms['G/rec'] = reconstructionTerm(gen, batch, w);
  return terms;
}

const attentionPenalty = (attention: G.Value, o: LossOptions): G.Value => G.reduceMean(o.attentionPenalty === 'changed-area' ? G.sub(1, attention) : attention);

/** The zero-edit reconstruction: G asked for the crop's own AUs should return the crop. */
const reconstructionTerm = (gen: Generator, batch: Pick<GeneratorBatch, 'real' | 'realAus'>, w: LossWeights): G.Value => G.mul(l1(gen.apply(batch.real, batch.realAus).composite, batch.real), w.reconstruction);

/** Side of the square the pair term averages over, in crop pixels, unless the run sets another. */
export const PAIR_LOWPASS = 4;

/**
 * [N, 3, H, W] -> [N, 3, H / k, W / k]: the mean of each k x k block, one channel at a time (a
 * grouped Conv with constant weights, so its gradient is the ConvTranspose of the same kernel).
 */
export function lowPass(image: G.Value, k: number = PAIR_LOWPASS): G.Value {
  if (k === 1) return image;
  const kernel = image.graph.constant(new Float32Array(3 * k * k).fill(1 / (k * k)), [3, 1, k, k], 'float32');
  return G.conv(image, kernel, null, { strides: [k, k], group: 3 });
}

export interface PairBatch extends Omit<GeneratorBatch, 'warp'> {
  /** Geometry: the forward warp only, as the pair step has no cycle. */
  readonly warp?: Pick<BatchWarp, 'forward'>;
  /** [B, 3, S, S] in [-1, 1]: the posed photo of the same performer, aligned onto the real (neutral) crop. */
  readonly pairTarget: G.Value;
  /** [B, 1, S, S] in [0, 1]: where the posed photo's mouth is open (lossWeights.pairMouth). */
  readonly pairMouth?: G.Value;
}

/**
 * The warm start's terms: 'G/pair', L1 between the low-passed output for the posed AUs and the
 * low-passed posed photo (the photo's fine detail and exact landmarks differ from what the warp
 * makes; its coarse colour, teeth in an opened mouth and shading, is what G should learn); 'G/mask',
 * the attention penalty, so G repaints no more than it must; 'G/pair-colour', the mouth terms
 * ('G/mouth-attention', 'G/mouth-colour') and 'G/rec' when weighted.
 */
export function pairLosses(gen: Generator, batch: PairBatch, w: LossWeights, o: LossOptions): LossTerms {
  const forward = gen.apply(sourceOf(batch), batch.targetAus);
  const k = o.pairLowPass ?? PAIR_LOWPASS;
  const target = lowPass(batch.pairTarget, k);
  const terms: LossTerms = {
    'G/pair': G.mul(l1(lowPass(forward.composite, k), target), w.pair),
    'G/mask': G.mul(attentionPenalty(forward.attention, o), w.mask),
  };
  if (w.pairColour > 0) terms['G/pair-colour'] = G.mul(l1(lowPass(forward.color, k), target), w.pairColour);
  if (w.pairMouth > 0) {
    if (!batch.pairMouth) throw new G.GraphError('missing-input', 'pairLosses: lossWeights.pairMouth needs the batch\'s pairMouth');
    // The attention is asked to be the opening: to repaint inside (its mean there) and to keep outside
    // (the mean of 1 - A there), each averaged over its own area (+1 pixel, so a batch of closed
    // mouths gives 0, not 0 / 0), so the small opening weighs as much as the rest of the crop.
    const mouth = batch.pairMouth;
    const area = G.add(G.reduceSum(mouth), 1);
    const outside = G.sub(1, mouth);
    const inside = G.div(G.reduceSum(G.mul(forward.attention, mouth)), area);
    const beyond = G.div(G.reduceSum(G.mul(G.sub(1, forward.attention), outside)), G.add(G.reduceSum(outside), 1));
    terms['G/mouth-attention'] = G.mul(o.mouthAttention === 'inside' ? inside : G.add(inside, beyond), w.pairMouth);
    const colourError = G.reduceSum(G.mul(G.abs(G.sub(forward.color, batch.pairTarget)), mouth));
    terms['G/mouth-colour'] = G.mul(G.div(colourError, G.mul(area, 3)), w.pairMouth);
  }
  if (w.reconstruction > 0) terms['G/rec'] = reconstructionTerm(gen, batch, w);
  return terms;
}

export const totalOf = (terms: LossTerms, keys: readonly string[] = Object.keys(terms)): G.Value =>
  G.sum(keys.map((k) => terms[k]));
