// A training run's latest checkpoint exported as a self-describing model file with its model card.
import path from 'node:path';
import { StudioError } from '../../shared/errors';
import { presetByName } from '../model/config';
import { exportGeneratorModel, writeFileAtomic } from '../model/model-file';
import type { RepaintRegion } from '../../shared/repaint';
import { exportedGenerator, latestCheckpoint, loadCheckpoint } from './checkpoint';
import { readManifest, runCacheDirs } from './dataset';
import { modelCard } from './model-card';
import { parseMotionBasis } from '../face/motion-model';
import { RUN_MOTION_FILE, RUN_MOUTH_FILE, runMotionText, runMouthText, runRepaintRegion } from './run-motion';
import { parseMouthInterior } from '../face/mouth-interior';

export interface CardNotes {
  /** Where the data came from and its license. */
  readonly dataNote?: string;
  /** Use restrictions inherited from the data. */
  readonly restrictions?: string;
  /** Markdown evaluation section (e.g. from `ganimation eval`). */
  readonly evaluation?: string;
  /** 'average' (default): the moving average when the run keeps one; 'trained': the trained weights themselves (short runs, whose average still sits near the start). */
  readonly weights?: 'average' | 'trained';
  /** Where the exported generator may repaint (model-file.ts); default: the region of the model the run started from, else anywhere. Only a geometry run can limit it to the mouth opening. */
  readonly repaintRegion?: RepaintRegion;
}

export function exportRun(runDir: string, out: string, notes: CardNotes = {}): string {
  const folder = latestCheckpoint(path.join(runDir, 'checkpoints'));
  if (!folder) throw new StudioError('no-checkpoint', `no checkpoint in ${path.join(runDir, 'checkpoints')}: give the folder of a training run (ganimation train --out), or train first`);
  const ckpt = loadCheckpoint(folder);
  const faces = runCacheDirs(runDir).reduce((n, dir) => n + (readManifest(dir)?.items.length ?? 0), 0);
  const dataSummary = `${faces || '?'} face crops${notes.dataNote ? ` (${notes.dataNote})` : ''}`;
  const preset = presetByName(ckpt.state.config.preset);
  const motionText = ckpt.state.config.geometry ? runMotionText(runDir) : null;
  const mouthText = motionText ? runMouthText(runDir) : null;
  const mouth = mouthText ? parseMouthInterior(mouthText, path.join(runDir, RUN_MOUTH_FILE)) : null;
  const repaintRegion = notes.repaintRegion ?? (motionText ? runRepaintRegion(runDir) : null) ?? 'anywhere';
  if (repaintRegion === 'mouth-opening' && !ckpt.state.config.geometry) throw new StudioError('repaint-region-needs-geometry', `${runDir} trained without geometry: its generator has no warp to take the mouth opening from, so it cannot be limited to it`);
  const bytes = exportGeneratorModel(notes.weights === 'trained' ? ckpt.generator : exportedGenerator(ckpt), preset.generator, {
    provenance: { trainedBy: `GANimation Studio ganimation train, ${path.basename(runDir)}` },
    metrics: { finalLosses: ckpt.state.losses, steps: ckpt.state.step },
    trainingData: dataSummary,
    modelCard: modelCard({ state: ckpt.state, dataSummary, restrictions: notes.restrictions, evaluation: notes.evaluation, basis: motionText ? parseMotionBasis(motionText, path.join(runDir, RUN_MOTION_FILE)) : null, mouthSource: mouth?.source, repaintRegion }),
    ...(motionText ? { motionBasis: motionText } : {}),
    ...(mouthText ? { mouthInterior: mouthText } : {}),
    repaintRegion,
  });
  writeFileAtomic(out, bytes);
  return folder;
}
