// How long a fine-tune runs unless asked otherwise: the training panel's and `ganimation train`'s
// default when a run starts from a model that already animates faces.

/**
 * Critic steps of a default fine-tune (the first tenth trains the critic alone; the studio recipe
 * then steps the generator once per critic step). Short on purpose: on 300 photos, fine-tuning the
 * bundled default changed its held-out figures less the shorter the run (docs/default-model.md:
 * these 350 steps kept all but identity under 0.6, 96.3% against 97.0%; about 800 generator steps
 * also cost sharpness). Longer runs are the user's choice, not the default.
 */
export const FINE_TUNE_STEPS = 350;
