// The model card written into an exported model: what was trained, on what, how long, and how it did.
import { formatDuration } from '../../shared/duration';
import type { TrainState } from './checkpoint';
import { hardwareSummary } from './trainer';

export interface CardInput {
  readonly state: TrainState;
  readonly dataSummary: string;
  readonly restrictions?: string;
  readonly evaluation?: string;
}

export function modelCard({ state, dataSummary, restrictions, evaluation }: CardInput): string {
  const c = state.config;
  const losses = Object.entries(state.losses)
    .map(([k, v]) => `| ${k} | ${v.toPrecision(4)} |`)
    .join('\n');
  return [
    `# GANimation generator (${c.preset} preset)`,
    '',
    `- Training: ${state.step} critic steps, ${state.generatorSteps} generator steps, batch ${c.batchSize}, Adam lr ${c.adam.lr} (betas ${c.adam.beta1}/${c.adam.beta2}), linear decay over the last ${Math.round(c.decayFraction * 100)}%.`,
    ...(state.warmStartDone ? [`- Warm start: ${state.warmStartDone} supervised generator steps on same-performer neutral/posed pairs before the adversarial steps.`] : []),
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
