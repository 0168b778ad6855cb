// The model card written into an exported model: what was trained, on what, how long, and how it did.
import { formatDuration } from '../../shared/duration';
import type { MotionBasis } from '../face/motion-model';
import type { RepaintRegion } from '../../shared/repaint';
import type { TrainState } from './checkpoint';
import { hardwareSummary } from './trainer';

export interface CardInput {
  readonly state: TrainState;
  readonly dataSummary: string;
  readonly restrictions?: string;
  readonly evaluation?: string;
  /** A geometry run's motion basis, whose fit the card describes. */
  readonly basis?: MotionBasis | null;
  /** Where the mouth interior the model carries was taken from, when it carries one. */
  readonly mouthSource?: string;
  /** Where the generator may repaint (model-file.ts); absent: anywhere. */
  readonly repaintRegion?: RepaintRegion;
}

export function modelCard({ state, dataSummary, restrictions, evaluation, basis, mouthSource, repaintRegion }: CardInput): string {
  const c = state.config;
  const losses = Object.entries(state.losses)
    .map(([k, v]) => `| ${k} | ${v.toPrecision(4)} |`)
    .join('\n');
  const adversarial = state.step > 0 || !state.warmStartDone;
  return [
    `# GANimation generator (${c.preset} preset)`,
    '',
    ...(c.geometry ? ["- Geometry first: each face is warped by the landmark motion basis this file carries (at full photo resolution in the studio), and the generator repaints only what the warp cannot.", ...(basis ? basisLines(basis) : []), ...(mouthSource ? [mouthLine(mouthSource)] : []), ...(repaintRegion === 'mouth-opening' ? [MOUTH_OPENING_LINE] : [])] : []),
    adversarial
      ? `- Training: ${state.step} critic steps, ${state.generatorSteps} generator steps, batch ${c.batchSize}, Adam lr ${c.adam.lr} (betas ${c.adam.beta1}/${c.adam.beta2}), linear decay over the last ${Math.round(c.decayFraction * 100)}%.`
      : `- Training: the warm start alone (no adversarial steps), batch ${c.batchSize}, Adam lr ${c.adam.lr} (betas ${c.adam.beta1}/${c.adam.beta2}).`,
    ...(state.warmStartDone ? [`- Warm start: ${warmStartSummary(state)}.`] : []),
    ...(state.startedFrom ? [`- Fine-tuned from ${state.startedFrom} (its generator${c.geometry ? ' and motion basis' : ''}; the critic trained fresh).`] : []),
    `- Time: ${formatDuration(state.elapsedMs / 1000)} on ${hardwareSummary()}.`,
    `- Data: ${dataSummary}`,
    ...(restrictions ? [`- Use restrictions: ${restrictions}`] : []),
    '',
    '## Final losses',
    '',
    '| term | value |',
    '|---|---:|',
    losses,
    ...(evaluation ? ['', '## Evaluation', '', evaluation] : []),
    '',
  ].join('\n');
}

/** What the warm start did, in words: its steps, where it warped, and what it was taught. */
function warmStartSummary(state: TrainState): string {
  const c = state.config;
  const warp = !c.geometry ? '' : c.pairWarp === 'landmarks' ? "; the neutral crop warped onto the posed photo's landmarks" : '; the neutral crop warped by the basis to the posed AUs';
  const mouth = c.lossWeights.pairMouth > 0 ? `; taught to repaint the posed photo's mouth opening (weight ${c.lossWeights.pairMouth})` : '';
  return `${state.warmStartDone} supervised generator steps on same-performer neutral/posed pairs${warp}${mouth}`;
}

export interface GeometryCardInput {
  readonly preset: string;
  readonly basis: MotionBasis;
  readonly restrictions?: string;
  readonly evaluation?: string;
  /** Where the model's mouth interior was taken from, when it carries one. */
  readonly mouthSource?: string;
  /** Where the generator may repaint (model-file.ts); absent: anywhere. */
  readonly repaintRegion?: RepaintRegion;
}

/** The card of a geometry-only model (`ganimation geometry-model`): a motion basis and an untrained identity-start generator. */
export function geometryCard({ preset, basis, restrictions, evaluation, mouthSource, repaintRegion }: GeometryCardInput): string {
  const mouth = mouthSource
    ? ` A mouth the photo shows closed that an expression opens shows a mouth interior taken from ${mouthSource}, its brightness matched to the face's lips.`
    : " An opened mouth shows the photo's own mouth stretched, not new teeth.";
  return [
    '# Geometry only',
    '',
    `The ${preset} generator at its initial weights, which return its input, with a landmark motion basis: an expression moves the photo's own pixels (the 68 landmarks by the basis, a piecewise-affine warp at full photo resolution), and nothing is repainted by the generator, so the face stays as sharp as the photo and keeps its identity.${mouth}`,
    '',
    ...basisLines(basis),
    ...(mouthSource ? [mouthLine(mouthSource)] : []),
    ...(repaintRegion === 'mouth-opening' ? [MOUTH_OPENING_LINE] : []),
    '- Training: none. Fine-tuning from it (`ganimation train --init-from <this file>`; the bundled default is fine-tuned without the flag, and by the studio\'s training panel) teaches the generator to repaint what the warp cannot.',
    ...(restrictions ? [`- Use restrictions: ${restrictions}`] : []),
    ...(evaluation ? ['', '## Evaluation', '', evaluation] : []),
    '',
  ].join('\n');
}

/** The card's line on a generator limited to the mouth opening. */
const MOUTH_OPENING_LINE =
  "- Repaint region: the mouth opening. Outside a mouth the warp opens, every output pixel is the warped photo's own, at full resolution; the generator's colour enters only there.";

/** The card's line on a mouth interior the warp lays into the mouths it opens. */
const mouthLine = (source: string): string =>
  `- Mouth interior: taken from ${source}; laid into a mouth the photo shows closed when an expression opens it, its upper teeth hanging from the upper lip and its lower ones riding on the lower lip, each at the size of the face's mouth.`;

/** Where a motion basis was fitted and how it did on held-out performers. */
function basisLines(basis: MotionBasis): string[] {
  const fit = basis.fit;
  if (!fit) return ['- Motion basis: no fit record (made by hand or by an older version).'];
  return [
    `- Motion basis: fitted on ${fit.options.data ?? 'a labelled folder'} performers ${fit.performers.join(', ')} (${fit.pairs} neutral/posed pairs, ${fit.options.terms ?? 'linear'} terms, ridge lambda ${fit.lambda}, gain ${fit.gain}).`,
    `- Held out one performer at a time: landmark motion cosine ${fit.heldOut.cosineMean.toFixed(3)} (mean), error ratio ${fit.heldOut.errorRatioMedian.toFixed(3)} (median; 1 = no motion), over ${fit.heldOut.pairs} pairs.`,
  ];
}
