// `ganimation fit-motion --data <folder> --performers 01-16 -o basis.json`: fits the landmark motion model
// on a labelled folder, measures it on performers it was not fitted on, and writes the basis atomically.
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic-write';
import { GOAL_AUS } from '../eval/evaluate-model';
import { controlScore } from '../face/motion-control';
import { readLabelledFolder, type LabelledFace } from '../face/motion-data';
import { DEFAULT_SHAPE, TERM_SETS, type ShapeOptions } from '../face/motion-fit';
import { serializeMotionBasis, type MotionScore } from '../face/motion-model';
import { buildPairs, NEUTRAL, NEUTRAL_CHOICES } from '../face/motion-pairs';
import { fitMotionModel, performerFolds, type CrossValidation } from '../face/motion-validate';
import { UsageError, type FlagSpecs, type FlagValues } from './args';
import { defineCommand, endProgressLine, progressLine } from './command';
import { performersFlag } from './performers-flag';

const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '  -  ');

function scoreTable(rows: readonly [string, MotionScore][]): string {
  const head = `${'expression'.padEnd(12)} ${'pairs'.padStart(5)}  ratio mean  median  cosine mean  median  |pred|/|real|`;
  const lines = rows.map(([name, s]) => `${name.padEnd(12)} ${String(s.pairs).padStart(5)}  ${f3(s.errorRatioMean).padStart(10)}  ${f3(s.errorRatioMedian).padStart(6)}  ${f3(s.cosineMean).padStart(11)}  ${f3(s.cosineMedian).padStart(6)}  ${f3(s.magnitudeMedian).padStart(13)}`);
  return [head, ...lines].join('\n');
}

/** Slider control read back from landmarks alone, each fold's basis on its own held-out neutral faces. */
function controlLine(held: CrossValidation, faces: readonly LabelledFace[]): string {
  const cases = held.folds.map((fold) => ({ basis: fold.basis, neutrals: faces.filter((f) => f.expression === NEUTRAL && fold.heldOut.includes(f.performer)) }));
  const c = controlScore(cases, GOAL_AUS);
  const perAu = Object.entries(c.r).map(([au, r]) => `${au} ${r.toFixed(2)}`);
  return `slider control (each AU alone, read back from the moved landmarks): mean r ${c.meanR.toFixed(3)} (${perAu.join(', ')}), other AUs moved ${c.leak.toFixed(3)}`;
}

const FIT_MOTION_FLAGS = {
  data: { type: 'string', description: 'folder with labels.csv (file, performer, expression) and faces.jsonl.gz (else faces are detected)', required: true, placeholder: 'dir' },
  performers: { type: 'string', description: 'performers to use, e.g. 01-16 (all fitting and tuning stays inside them)', required: true, placeholder: 'ids' },
  holdout: { type: 'string', description: 'measure on these performers (of --performers), fitted on the rest', placeholder: 'ids' },
  folds: { type: 'number', description: 'measure by k-fold cross-validation over performers (default: one performer out)', placeholder: 'k' },
  terms: { type: 'string', choices: TERM_SETS, description: `terms beside the linear AUs (default ${DEFAULT_SHAPE.terms})` },
  regions: { type: 'boolean', description: 'let each face region move only with its own FACS AUs' },
  symmetric: { type: 'boolean', description: `mirror-symmetric basis (default ${DEFAULT_SHAPE.symmetric ? 'on' : 'off'}; --symmetric=false turns it off)` },
  neutral: { type: 'string', choices: NEUTRAL_CHOICES, description: "'each' neutral photo of a performer (default) or only the 'first'" },
  out: { type: 'string', alias: 'o', description: 'where to write the basis (JSON)', required: true, placeholder: 'file' },
} as const satisfies FlagSpecs;

function shapeFrom(flags: FlagValues<typeof FIT_MOTION_FLAGS>): ShapeOptions {
  return { terms: flags.terms ?? DEFAULT_SHAPE.terms, regions: flags.regions ?? DEFAULT_SHAPE.regions, symmetric: flags.symmetric ?? DEFAULT_SHAPE.symmetric };
}

export const fitMotionCommand = defineCommand({
  name: 'fit-motion',
  summary: 'fit the landmark motion model on a labelled folder and report its held-out error',
  usage: '--data <folder> --performers 01-16 [--holdout 13-16 | --folds k] -o basis.json',
  flags: FIT_MOTION_FLAGS,
  async run({ flags }) {
    if (flags.holdout !== undefined && flags.folds !== undefined) throw new UsageError('give --holdout or --folds, not both');
    const k = flags.folds;
    if (k !== undefined && !(Number.isInteger(k) && k >= 2)) throw new UsageError(`--folds needs a whole number of at least 2, got ${k}`);
    const neutral = flags.neutral ?? 'each';
    const shape = shapeFrom(flags);
    const folder = flags.data;
    const performers = [...performersFlag(folder, flags.performers, 'performers')];
    const holdout = flags.holdout === undefined ? null : [...performersFlag(folder, flags.holdout, 'holdout')];
    const outside = (holdout ?? []).filter((p) => !performers.includes(p));
    if (outside.length) throw new UsageError(`--holdout ${outside.join(', ')} not among --performers: held-out performers must be ones you allowed`);
    const read = await readLabelledFolder(folder, new Set(performers), (done, total) => done % 50 === 0 && progressLine(`fit-motion: reading ${done}/${total} photos`));
    endProgressLine();
    const { pairs, skipped, performers: usable } = buildPairs(read.faces, neutral);
    for (const s of [...read.skipped, ...skipped]) console.error(`  skipped ${s.file}: ${s.reason}`);
    if (usable.length < 3) throw new Error(`fit-motion needs pairs of at least three performers, got ${usable.length} (${usable.join(', ') || 'none'})`);
    const folds = holdout ? [holdout] : performerFolds(usable, k ?? usable.length);
    console.log(`fit-motion: ${pairs.length} pairs of ${usable.length} performers (${usable.join(' ')}), ${read.skipped.length + skipped.length} skipped; terms ${shape.terms}, regions ${shape.regions ? 'on' : 'off'}, symmetric ${shape.symmetric ? 'on' : 'off'}`);
    const started = Date.now();
    const fit = fitMotionModel(pairs, folds, shape, { neutral, data: path.basename(path.resolve(folder)) });
    const held = fit.heldOut;
    const heldPerformers = held.folds.flatMap((f) => f.heldOut);
    console.log(`\nheld out: ${heldPerformers.join(' ')} (${held.folds.length} fold${held.folds.length === 1 ? '' : 's'}, each tuned and fitted without them); scored on brows 17-26, eyes 36-47, mouth 48-67`);
    console.log(scoreTable([...held.byExpression, ['all', held.score]]));
    console.log(controlLine(held, read.faces));
    console.log(`\nbasis: fitted on all ${fit.basis.fit?.performers.length} performers, lambda ${fit.choice.lambda}, gain ${fit.choice.gain} (leave-one-performer-out inside them: ratio median ${f3(fit.choice.score.errorRatioMedian)}, cosine mean ${f3(fit.choice.score.cosineMean)}); ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const out = flags.out;
    writeFileAtomic(out, new TextEncoder().encode(serializeMotionBasis(fit.basis)));
    console.log(`wrote ${out}`);
  },
});
