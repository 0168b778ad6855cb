// Synthetic faces for the mouth interior's tests: the canonical face with its inner lips parted,
// in a grey photo whose opening holds white "teeth" above and dark below.
import type { Point } from './face-frame';
import { CANONICAL_FACE } from './mesh';
import { takeMouthInterior, type MouthInterior } from './mouth-interior';

const UPPER_INNER = [61, 62, 63];
const LOWER_INNER = [65, 66, 67];

/** The canonical face in a `side` px photo with its inner lips `open` px apart (half up, half down). */
export function faceLandmarks(side: number, open: number): Point[] {
  return CANONICAL_FACE.map(([u, v], i): Point => {
    const y = v * side + (UPPER_INNER.includes(i) ? -open / 2 : LOWER_INNER.includes(i) ? open / 2 : 0);
    return [u * side, y];
  });
}

/** A grey photo whose mouth box is pink lips, with white "teeth" in the top 40% of the opening and dark below. */
export function openMouthPhoto(side: number, open: number): { photo: { width: number; height: number; data: Uint8Array }; landmarks: Point[] } {
  const landmarks = faceLandmarks(side, open);
  const data = new Uint8Array(side * side * 3).fill(150);
  const top = Math.min(...UPPER_INNER.map((i) => landmarks[i][1]));
  const bottom = Math.max(...LOWER_INNER.map((i) => landmarks[i][1]));
  const [left, right] = [landmarks[60][0], landmarks[64][0]];
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const inBox = x >= left - 8 && x <= right + 8 && y >= top - 8 && y <= bottom + 8;
      const inOpening = x >= left && x <= right && y >= top && y <= bottom;
      const color = inOpening ? (y < top + 0.4 * (bottom - top) ? [240, 240, 235] : [40, 10, 10]) : inBox ? [200, 100, 100] : [150, 150, 150];
      data.set(color, 3 * (y * side + x));
    }
  }
  return { photo: { width: side, height: side, data }, landmarks };
}

/** The interior of a 200 px synthetic face with its inner lips 18 px apart. */
export function syntheticMouthInterior(): MouthInterior {
  const { photo, landmarks } = openMouthPhoto(200, 18);
  return takeMouthInterior(photo, landmarks, 'synthetic.jpg');
}
