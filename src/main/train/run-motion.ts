// A run's motion basis: the landmark motion its geometry-first training warps with, kept in the run
// folder (so a resumed run warps the same way) and carried into the model it exports; with it, the
// mouth interior and the repaint region of the model the run started from, which its exports carry on.
import fs from 'node:fs';
import path from 'node:path';
import { StudioError } from '../../shared/errors';
import { parseMotionBasis, type MotionBasis } from '../face/motion-model';
import { parseMouthInterior } from '../face/mouth-interior';
import { writeFileAtomic } from '../io/atomic-write';
import { isRepaintRegion, REPAINT_REGIONS, type RepaintRegion } from '../../shared/repaint';
import type { RunMouth } from './warp-batch';

export const RUN_MOTION_FILE = 'motion-basis.json';
export const RUN_MOUTH_FILE = 'mouth-interior.json';
export const RUN_REPAINT_FILE = 'repaint-region.txt';

/** A file of the run folder as text, or null when the run has none. */
function runFileText(runDir: string, name: string): string | null {
  const file = path.join(runDir, name);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
}

/** The run's basis as stored (serialised JSON), or null when the run has none. */
export const runMotionText = (runDir: string): string | null => runFileText(runDir, RUN_MOTION_FILE);

export function readRunMotion(runDir: string): MotionBasis | null {
  const text = runMotionText(runDir);
  return text === null ? null : parseMotionBasis(text, path.join(runDir, RUN_MOTION_FILE));
}

/**
 * Gives a run its basis (checked first). A run that already has a different one keeps it and this
 * refuses: its checkpoints were trained with that geometry.
 */
export function setRunMotion(runDir: string, text: string, origin: string): void {
  parseMotionBasis(text, origin);
  const current = runMotionText(runDir);
  if (current !== null && current !== text) {
    throw new StudioError('motion-basis-differs', `${runDir} already trains with another motion basis (${RUN_MOTION_FILE}); start a new run folder to use ${origin}`);
  }
  if (current === null) writeFileAtomic(path.join(runDir, RUN_MOTION_FILE), Buffer.from(text));
}

/** The run's mouth interior as stored (serialised JSON), or null when it has none. */
export const runMouthText = (runDir: string): string | null => runFileText(runDir, RUN_MOUTH_FILE);

/** Gives a run the mouth interior its exports carry (checked first); a run that has one keeps it. */
export function setRunMouth(runDir: string, text: string, origin: string): void {
  parseMouthInterior(text, origin);
  if (runMouthText(runDir) === null) writeFileAtomic(path.join(runDir, RUN_MOUTH_FILE), Buffer.from(text));
}

/** Where the run's exports may repaint unless export asks otherwise: the starting model's region, or null (anywhere). */
export function runRepaintRegion(runDir: string): RepaintRegion | null {
  const text = runFileText(runDir, RUN_REPAINT_FILE)?.trim();
  if (text === undefined) return null;
  if (!isRepaintRegion(text)) throw new StudioError('bad-repaint-region', `${path.join(runDir, RUN_REPAINT_FILE)} says "${text.slice(0, 40)}"; expected one of ${REPAINT_REGIONS.join(', ')}`);
  return text;
}

/** Refuses to limit a run without geometry to the mouth opening: it has no warp to take the opening from. */
export function checkRunRepaint(runDir: string, region: RepaintRegion | undefined, geometry: boolean): void {
  if (region === 'mouth-opening' && !geometry) throw new StudioError('repaint-region-needs-geometry', `${runDir} trains without geometry: its generator has no warp to take the mouth opening from, so it cannot be limited to it`);
}

/**
 * Gives a run the region its exports may repaint. A run that has another keeps it and this refuses:
 * a resumed run exports as it began (export-model --repaint exports one otherwise).
 */
export function setRunRepaint(runDir: string, region: RepaintRegion): void {
  const current = runRepaintRegion(runDir);
  if (current !== null && current !== region) {
    throw new StudioError('repaint-region-differs', `${runDir} repaints ${current} (${RUN_REPAINT_FILE}), not ${region}; export it with export-model --repaint ${region}, or start a new run folder`);
  }
  if (current === null) writeFileAtomic(path.join(runDir, RUN_REPAINT_FILE), Buffer.from(`${region}\n`));
}

/**
 * What the run's model adds to its warp, which its training applies as the studio does: a repaint
 * limited to the mouth opening (the run's region), and the mouth interior it lays into an opened mouth.
 */
export function runMouthOf(runDir: string): RunMouth {
  const text = runMouthText(runDir);
  return { gate: runRepaintRegion(runDir) === 'mouth-opening', interior: text === null ? null : parseMouthInterior(text, path.join(runDir, RUN_MOUTH_FILE)) };
}
