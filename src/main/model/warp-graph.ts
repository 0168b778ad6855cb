// The crop-size warp inside training step graphs: bilinear sampling from a per-sample table of four
// source pixels and weights per output pixel. Linear in the image, so its gradient is exact.
import * as G from '../graph';

/** Taps per output pixel in a sampling table: the four bilinear neighbours. */
export const WARP_TAPS = 4;

/**
 * Warps image [N, C, H, W] by a sampling table fed per batch (every sample has its own warp):
 * index int64 [N, 1, 4*H*W] holds flat source pixels y*W + x, weight [N, 1, 4*H*W] (image's
 * dtype) their bilinear weights, tap k of output pixel p = y*W + x at 4p + k, so
 * out[n, c, p] = sum over k of weight[n, 0, 4p+k] * image[n, c, index[n, 0, 4p+k]].
 * Gradients reach the image (through GatherElements' scatter-add rule) and the weights; the
 * indices are fixed data.
 */
export function warpImage(image: G.Value, index: G.Value, weight: G.Value): G.Value {
  const [batch, channels, height, width] = checkTable(image, index, weight);
  const pixels = height * width;
  const flat = G.reshape(image, [batch, channels, pixels]);
  // One index row serves every channel: Expand broadcasts [N, 1, L] to [N, C, L].
  const taps = G.gatherElements(flat, G.expand(index, [1, channels, WARP_TAPS * pixels]), 2);
  const weighted = G.reshape(G.mul(taps, weight), [batch, channels, pixels, WARP_TAPS]);
  return G.reshape(G.reduceSum(weighted, [3]), [batch, channels, height, width]);
}

/** Image dims [N, C, H, W] once image, index and weight are known to fit together. */
function checkTable(image: G.Value, index: G.Value, weight: G.Value): [G.Dim, number, number, number] {
  const fail = (why: string): never => {
    throw new G.GraphError(
      'warp-table',
      `warpImage: ${why} (image ${G.shapeToString(image.shape)} ${image.dtype}, index ${G.shapeToString(index.shape)} ${index.dtype}, weight ${G.shapeToString(weight.shape)} ${weight.dtype})`,
    );
  };
  if (image.shape.length !== 4) fail('the image must be [N, C, H, W]');
  const [batch, ...rest] = image.shape;
  if (!rest.every((d): d is number => typeof d === 'number')) fail('channels, height and width must be static');
  const [channels, height, width] = rest as number[];
  if (!G.isFloat(image.dtype)) fail('the image must be float');
  if (index.dtype !== 'int64') fail('the index must be int64');
  if (weight.dtype !== image.dtype) fail("the weight must have the image's dtype");
  const want = [batch, 1, WARP_TAPS * height * width];
  // The batch dim must be the image's own (the same symbol in a batch-symbolic step graph).
  const fits = (shape: G.Shape) => shape.length === 3 && shape.every((d, i) => d === want[i]);
  if (!fits(index.shape) || !fits(weight.shape)) fail(`index and weight must be [${batch}, 1, ${WARP_TAPS * height * width}]`);
  return [batch, channels, height, width];
}
