// How long a fine-tune runs and where it may repaint unless asked otherwise: the training panel's and
// `ganimation train`'s defaults when a run starts from a model that already animates faces.
import type { RepaintRegion } from './repaint';

/**
 * Critic steps of a default fine-tune (the first tenth trains the critic alone; the studio recipe
 * then steps the generator once per critic step). Short on purpose: on 300 photos, fine-tuning the
 * bundled default changed its held-out figures less the shorter the run (docs/default-model.md:
 * these 350 steps kept all but identity under 0.6, 96.3% against 97.0%; about 800 generator steps
 * also cost sharpness). Gated to the mouth opening, 1,000 steps kept every figure but painted the
 * opened mouths as dark holes (2026-12-04). Longer runs are the user's choice, not the default.
 */
export const FINE_TUNE_STEPS = 350;

/**
 * Where a fine-tune of a geometry-first model may repaint unless asked otherwise: only the mouth
 * openings its warp makes. Every fine-tune measured repainting anywhere cost likeness on people it
 * never saw (identity under 0.6: 96.3% after 350 steps, 95.5% after 800 generator steps, against the
 * starting model's 97.0%) and gained nothing measurable there. Limited to the mouth opening, the
 * 350-step run kept the starting model's identity, survival and faithfulness exactly (97.0%, 98.4%,
 * 0.00/255) and every goal it meets (docs/default-model.md). The run trains limited the same way:
 * the step graphs apply the gate, so all of its gradient goes to the openings (train/warp-batch.ts).
 */
export const FINE_TUNE_REPAINT: RepaintRegion = 'mouth-opening';
