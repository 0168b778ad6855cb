// The generator's first layer: a k x k conv (zero padding (k-1)/2) over the image concatenated with
// the AUs tiled into constant maps, as GANimation defines it ('tiled'), or the same layer computed
// without tiling the AUs ('split').
//
// A constant map convolved with zero padding is constant except within `pad` pixels of the border,
// and each border row (column) depends only on its distance to the border. So the AU channels'
// contribution is exactly the same conv on a k x k constant map, its middle row and column
// stretched to the crop's size: it costs k^2 pixels instead of the crop's, and its gradients
// (through the stretch's ReduceSum, the small conv and the weight's Slice) likewise. The image
// channels keep their full-size conv, now with 3 input channels instead of 3 + 17, and an input
// gradient only for those. Same values up to float rounding (au-stem.test.ts, and the PyTorch
// fixture parity of the paper network's training step). The training step graphs use 'split'
// (bench/train.ts). Model files keep 'tiled': onnxruntime's kernels then give each frame the same
// bits at any batch size, which the split form's two convs do not guarantee.
import * as G from '../graph';

export type AuStemForm = 'tiled' | 'split';

/**
 * conv(concat([image, tile(aus)], 1), weight, bias) with zero padding (k - 1) / 2 and stride 1;
 * image [N, C, S, S], aus [N, A], weight [O, C + A, k, k] (k odd).
 */
export function auConditionedConv(image: G.Value, aus: G.Value, weight: G.Value, bias: G.Value | null, form: AuStemForm): G.Value {
  const [, inChannels, k] = weight.shape as number[];
  const imageChannels = image.shape[1] as number;
  const size = image.shape[2] as number;
  const pad = (k - 1) / 2;
  const pads = [pad, pad, pad, pad];
  // A crop smaller than the kernel (the test presets) has no middle to stretch.
  if (form === 'tiled' || size < k || !Number.isInteger(pad)) {
    const auMaps = G.expand(G.unsqueeze(aus, [2, 3]), [1, 1, size, size]);
    return G.conv(G.concat([image, auMaps], 1), weight, bias, { pads });
  }
  const channels = (from: number, to: number) => G.slice(weight, { axes: [1], starts: [from], ends: [to] });
  const fromImage = G.conv(image, channels(0, imageChannels), bias, { pads });
  const small = G.conv(G.expand(G.unsqueeze(aus, [2, 3]), [1, 1, k, k]), channels(imageChannels, inChannels), null, { pads });
  return G.add(fromImage, stretchMiddle(stretchMiddle(small, 2, size, pad), 3, size, pad));
}

/** Axis `axis` of x (length 2 * pad + 1) made `size` long by repeating its middle entry. */
function stretchMiddle(x: G.Value, axis: number, size: number, pad: number): G.Value {
  const part = (start: number, end: number) => G.slice(x, { axes: [axis], starts: [start], ends: [end] });
  const dims = x.shape.map((_, i) => (i === axis ? size - 2 * pad : 1));
  return G.concat([part(0, pad), G.expand(part(pad, pad + 1), dims), part(pad + 1, 2 * pad + 1)], axis);
}
