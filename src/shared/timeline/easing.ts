// Easing of the segment that starts at a keyframe: (t in [0, 1]) => progress in [0, 1]. The cubic
// Béziers are CSS's; 'smooth' is not an easing but monotone cubic interpolation (see evaluate.ts).

export const EASINGS = ['linear', 'hold', 'ease-in', 'ease-out', 'ease-in-out', 'smooth'] as const;
export type Easing = (typeof EASINGS)[number];

/** A CSS-style cubic Bézier through (0,0), (x1,y1), (x2,y2), (1,1), solved for x by bisection (robust, monotone). */
export function cubicBezier(x1: number, y1: number, x2: number, y2: number): (t: number) => number {
  const at = (a: number, b: number, s: number) => 3 * a * s * (1 - s) ** 2 + 3 * b * s * s * (1 - s) + s ** 3;
  return (x) => {
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    let lo = 0;
    let hi = 1;
    for (let i = 0; i < 40; i++) {
      const mid = (lo + hi) / 2;
      if (at(x1, x2, mid) < x) lo = mid;
      else hi = mid;
    }
    return at(y1, y2, (lo + hi) / 2);
  };
}

const CURVES: Readonly<Record<Exclude<Easing, 'smooth'>, (t: number) => number>> = {
  linear: (t) => t,
  hold: () => 0,
  'ease-in': cubicBezier(0.42, 0, 1, 1),
  'ease-out': cubicBezier(0, 0, 0.58, 1),
  'ease-in-out': cubicBezier(0.42, 0, 0.58, 1),
};

export const easingCurve = (easing: Exclude<Easing, 'smooth'>): ((t: number) => number) => CURVES[easing];
