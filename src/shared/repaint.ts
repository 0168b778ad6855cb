// Where a model's generator may repaint, as model files, the CLI and the studio's models panel name it.

/**
 * 'anywhere': the attention alone decides what is repainted; 'mouth-opening': with geometry, only
 * where the warp opens the mouth wider than the photo's own (render/scene-geometry.ts), so a
 * generator taught the mouth interior never touches closed lips or the rest of the face.
 */
export const REPAINT_REGIONS = ['anywhere', 'mouth-opening'] as const;
export type RepaintRegion = (typeof REPAINT_REGIONS)[number];

export const isRepaintRegion = (value: string): value is RepaintRegion => (REPAINT_REGIONS as readonly string[]).includes(value);
