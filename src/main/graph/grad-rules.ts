// Gradient rules of the elementwise, shape, reduction and gather/scatter ops. Each rule emits only
// ops that have rules themselves, so gradient graphs can be differentiated again (double backward).
import { GraphError, numel, type Node, type Shape, type Value } from './ir';
import * as E from './ops-elementwise';
import * as G from './ops-gather';
import * as S from './ops-shape';

/**
 * A rule maps a node and the gradient of its (first) output to gradients of its inputs.
 * `needs[i]` says whether input i lies on a path from the differentiation targets;
 * a rule returns null for inputs it was not asked about or whose gradient is zero.
 */
export type GradRule = (node: Node, gy: Value, needs: readonly boolean[]) => (Value | null)[];

/** Sum a broadcast gradient back down to the shape its operand had: the one place that undoes broadcasting. */
export function unbroadcast(g: Value, target: Shape): Value {
  const lead = g.shape.length - target.length;
  const axes: number[] = [];
  for (let i = 0; i < g.shape.length; i++) {
    if (i < lead) axes.push(i);
    else if (target[i - lead] === 1 && g.shape[i] !== 1) axes.push(i);
  }
  let out = axes.length > 0 ? S.reduceSum(g, axes, true) : g;
  if (lead > 0) out = S.squeeze(out, Array.from({ length: lead }, (_, i) => i));
  return out;
}

const x0 = (n: Node): Value => n.inputs[0] as Value;
const x1 = (n: Node): Value => n.inputs[1] as Value;
const y0 = (n: Node): Value => n.outputs[0];
/** A gradient only where it was asked for: `needs[i]` false gives null without building anything. */
export const when = (need: boolean, f: () => Value): Value | null => (need ? f() : null);

/** Gradient of a reduction: put the reduced axes back as size 1, then broadcast to the input. */
function reduceGrad(node: Node, gy: Value): Value {
  const x = x0(node);
  const axes = S.constInts(node.inputs[1], `${node.op} axes`);
  const restored = node.attrs.keepdims === 0 ? S.unsqueeze(gy, axes) : gy;
  return S.expandLike(restored, x);
}

/** Scatter a strided slice's gradient: interleave zeros after each kept element along one axis. */
function unstride(g: Value, axis: number, step: number): Value {
  const withSlot = S.unsqueeze(g, [axis + 1]);
  const pads = new Array(2 * withSlot.shape.length).fill(0);
  pads[withSlot.shape.length + axis + 1] = step - 1;
  const dims = [...g.shape];
  dims[axis] = (g.shape[axis] as number) * step;
  return S.reshape(S.pad(withSlot, pads), dims);
}

function sliceGrad(node: Node, gy: Value): Value {
  const x = x0(node);
  const [starts, axes] = [1, 3].map((i) => S.constInts(node.inputs[i], 'Slice bounds'));
  const steps = node.inputs[4] ? S.constInts(node.inputs[4], 'Slice steps') : axes.map(() => 1);
  let g = gy;
  const rank = x.shape.length;
  const before = new Array(rank).fill(0);
  const after = new Array(rank).fill(0);
  const crop: { axis: number; size: number }[] = [];
  axes.forEach((axis, i) => {
    const dim = x.shape[axis] as number;
    if (steps[i] > 1) g = unstride(g, axis, steps[i]);
    const covered = (g.shape[axis] as number) + starts[i];
    before[axis] = starts[i];
    after[axis] = Math.max(0, dim - covered);
    if (covered > dim) crop.push({ axis, size: dim });
  });
  g = S.pad(g, [...before, ...after]);
  for (const { axis, size } of crop) g = S.slice(g, { axes: [axis], starts: [0], ends: [size] });
  return g;
}

function padGrad(node: Node, gy: Value): Value {
  const x = x0(node);
  const pads = S.constInts(node.inputs[1], 'Pad pads');
  if (node.attrs.mode !== 'constant') throw new GraphError('no-grad', `Pad: no gradient rule for mode ${String(node.attrs.mode)}`);
  const rank = x.shape.length;
  const axes: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < rank; i++) {
    if (pads[i] === 0 && pads[i + rank] === 0) continue;
    axes.push(i);
    starts.push(pads[i]);
    ends.push(pads[i] + (x.shape[i] as number));
  }
  return axes.length ? S.slice(gy, { axes, starts, ends }) : gy;
}

function concatGrad(node: Node, gy: Value, needs: readonly boolean[]): (Value | null)[] {
  const axis = node.attrs.axis as number;
  let offset = 0;
  return node.inputs.map((v, i) => {
    const size = (v as Value).shape[axis];
    if (typeof size !== 'number') throw new GraphError('symbolic-shape', 'Concat gradient needs static sizes along the axis');
    const start = offset;
    offset += size;
    return when(needs[i], () => S.slice(gy, { axes: [axis], starts: [start], ends: [start + size] }));
  });
}

/** The adjoint of a gather is a scatter-add into zeros (repeated indices sum), and back again. */
const gatherElementsRule: GradRule = (n, gy, needs) => [
  when(needs[0], () => G.scatterElementsAdd(S.zerosLike(x0(n)), x1(n), gy, n.attrs.axis as number)),
  null,
];

const scatterElementsRule: GradRule = (n, gy, needs) => {
  if (n.attrs.reduction !== 'add') {
    throw new GraphError('no-grad', `ScatterElements: no gradient rule for reduction ${String(n.attrs.reduction ?? 'none')} (add only)`);
  }
  return [when(needs[0], () => gy), null, when(needs[2], () => G.gatherElements(gy, x1(n), n.attrs.axis as number))];
};

export const shapeAndElementwiseRules: Record<string, GradRule> = {
  Identity: (_n, gy) => [gy],
  Add: (n, gy, needs) => [when(needs[0], () => unbroadcast(gy, x0(n).shape)), when(needs[1], () => unbroadcast(gy, x1(n).shape))],
  Sub: (n, gy, needs) => [when(needs[0], () => unbroadcast(gy, x0(n).shape)), when(needs[1], () => unbroadcast(E.neg(gy), x1(n).shape))],
  Mul: (n, gy, needs) => [
    when(needs[0], () => unbroadcast(E.mul(gy, x1(n)), x0(n).shape)),
    when(needs[1], () => unbroadcast(E.mul(gy, x0(n)), x1(n).shape)),
  ],
  Div: (n, gy, needs) => [
    when(needs[0], () => unbroadcast(E.div(gy, x1(n)), x0(n).shape)),
    when(needs[1], () => unbroadcast(E.neg(E.div(E.mul(gy, y0(n)), x1(n))), x1(n).shape)),
  ],
  Pow: (n, gy, needs) => [
    when(needs[0], () => unbroadcast(E.mul(E.mul(gy, x1(n)), E.pow(x0(n), E.sub(x1(n), 1))), x0(n).shape)),
    when(needs[1], () => unbroadcast(E.mul(E.mul(gy, y0(n)), E.log(x0(n))), x1(n).shape)),
  ],
  Sum: (n, gy, needs) => n.inputs.map((v, i) => when(needs[i], () => unbroadcast(gy, (v as Value).shape))),
  Neg: (_n, gy) => [E.neg(gy)],
  Abs: (n, gy) => [E.mul(gy, E.sign(x0(n)))],
  Sqrt: (n, gy) => [E.div(E.mul(gy, 0.5), y0(n))],
  Exp: (n, gy) => [E.mul(gy, y0(n))],
  Log: (n, gy) => [E.div(gy, x0(n))],
  Tanh: (n, gy) => [E.mul(gy, E.sub(1, E.mul(y0(n), y0(n))))],
  Sigmoid: (n, gy) => [E.mul(gy, E.mul(y0(n), E.sub(1, y0(n))))],
  Relu: (n, gy) => [E.where(E.greater(x0(n), 0), gy, 0)],
  LeakyRelu: (n, gy) => [E.where(E.greater(x0(n), 0), gy, E.mul(gy, n.attrs.alpha as number))],
  Clip: (n, gy) => {
    const [x, lo, hi] = n.inputs;
    let g = gy;
    if (hi) g = E.where(E.greater(x as Value, hi), 0, g);
    if (lo) g = E.where(E.less(x as Value, lo), 0, g);
    return [g];
  },
  Where: (n, gy, needs) => {
    const cond = n.inputs[0] as Value;
    const [a, b] = [n.inputs[1] as Value, n.inputs[2] as Value];
    return [
      null,
      when(needs[1], () => unbroadcast(E.where(cond, gy, 0), a.shape)),
      when(needs[2], () => unbroadcast(E.where(cond, 0, gy), b.shape)),
    ];
  },
  Cast: (n, gy) => [E.cast(gy, x0(n).dtype)],
  ReduceSum: (n, gy) => [reduceGrad(n, gy)],
  ReduceMean: (n, gy) => {
    const count = numel(x0(n).shape) / numel(y0(n).shape);
    return [E.div(reduceGrad(n, gy), count)];
  },
  Expand: (n, gy) => [unbroadcast(gy, x0(n).shape)],
  Reshape: (n, gy) => [S.reshapeLike(gy, x0(n))],
  Squeeze: (n, gy) => [S.reshapeLike(gy, x0(n))],
  Unsqueeze: (n, gy) => [S.reshapeLike(gy, x0(n))],
  Transpose: (n, gy) => {
    const perm = n.attrs.perm as number[];
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [S.transpose(gy, inverse)];
  },
  Concat: concatGrad,
  Slice: (n, gy) => [sliceGrad(n, gy)],
  Pad: (n, gy) => [padGrad(n, gy)],
  GatherElements: gatherElementsRule,
  ScatterElements: scatterElementsRule,
};

/** Ops whose outputs carry no gradient (comparisons, shapes, constants). */
export const NON_DIFFERENTIABLE = new Set(['Greater', 'Less', 'Equal', 'Shape', 'ConstantOfShape', 'Sign']);
