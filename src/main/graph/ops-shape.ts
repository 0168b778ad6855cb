// Shape and reduction op builders: Reshape, Transpose, Concat, Slice, Pad, Expand, Squeeze,
// Unsqueeze, Shape, ConstantOfShape, ReduceSum, ReduceMean.
import { GraphError, shapeToString, type Dim, type Value } from './ir';
import { broadcastShapes } from './ops-elementwise';

/** A possibly negative axis as an index into a shape of the given rank; throws naming the op. */
export function normAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new GraphError('axis', `${op}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

function staticDim(x: Value, axis: number, op: string): number {
  const d = x.shape[axis];
  if (typeof d !== 'number') throw new GraphError('symbolic-shape', `${op}: axis ${axis} of ${x.name} ${shapeToString(x.shape)} must be static`);
  return d;
}

/**
 * Reshape to dims: numbers (one may be -1), or symbols that must sit at the same index in x
 * (emitted as ONNX 0, "copy this dim"), so batch-symbolic graphs keep a fixed rank layout.
 */
export function reshape(x: Value, dims: readonly Dim[]): Value {
  const known = x.shape.every((d) => typeof d === 'number');
  const spec = dims.map((d, i) => {
    if (typeof d === 'number') return d;
    if (x.shape[i] !== d) throw new GraphError('reshape', `Reshape: symbol ${d} must be at index ${i} of ${x.name} ${shapeToString(x.shape)}`);
    return 0;
  });
  const out: Dim[] = [...dims];
  const inferred = spec.indexOf(-1);
  if (inferred >= 0) {
    const rest = dims.filter((d, i) => i !== inferred);
    if (known && rest.every((d) => typeof d === 'number')) {
      const total = (x.shape as number[]).reduce((a, b) => a * b, 1);
      const part = (rest as number[]).reduce((a, b) => a * b, 1);
      if (total % part !== 0) throw new GraphError('reshape', `Reshape: cannot reshape ${shapeToString(x.shape)} to ${shapeToString(dims)}`);
      out[inferred] = total / part;
    } else {
      out[inferred] = `${x.name}_d${inferred}`;
    }
  } else if (known && dims.every((d) => typeof d === 'number')) {
    const a = (x.shape as number[]).reduce((p, q) => p * q, 1);
    const b = (dims as number[]).reduce((p, q) => p * q, 1);
    if (a !== b) throw new GraphError('reshape', `Reshape: ${shapeToString(x.shape)} has ${a} elements, ${shapeToString(dims)} has ${b}`);
  }
  return x.graph.addNode('Reshape', [x, x.graph.ints(spec)], {}, [{ dtype: x.dtype, shape: out }])[0];
}

/** Reshape x to the run-time shape of `like` (same element count), whatever its symbols. */
export function reshapeLike(x: Value, like: Value): Value {
  return x.graph.addNode('Reshape', [x, shapeOf(like)], {}, [{ dtype: x.dtype, shape: like.shape }])[0];
}

export function shapeOf(x: Value): Value {
  return x.graph.addNode('Shape', [x], {}, [{ dtype: 'int64', shape: [x.shape.length] }])[0];
}

/** Zeros with the run-time shape and dtype of x. */
export function zerosLike(x: Value): Value {
  const value = { kind: 'tensor' as const, dtype: x.dtype, dims: [1], data: [0] };
  return x.graph.addNode('ConstantOfShape', [shapeOf(x)], { value }, [{ dtype: x.dtype, shape: x.shape }])[0];
}

export function transpose(x: Value, perm: readonly number[]): Value {
  if (perm.length !== x.shape.length || [...perm].sort().some((p, i) => p !== i)) {
    throw new GraphError('transpose', `Transpose: perm [${perm}] does not fit rank ${x.shape.length}`);
  }
  return x.graph.addNode('Transpose', [x], { perm: [...perm] }, [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }])[0];
}

export function concat(values: readonly Value[], axis: number): Value {
  if (values.length === 0) throw new GraphError('no-value', 'Concat needs at least one input');
  const rank = values[0].shape.length;
  const a = normAxis(axis, rank, 'Concat');
  let total: Dim = 0;
  for (const v of values) {
    const d = v.shape[a];
    total = typeof total === 'number' && typeof d === 'number' ? total + d : `${values[0].name}_cat${a}`;
  }
  const shape = values[0].shape.map((d, i) => (i === a ? total : d));
  return values[0].graph.addNode('Concat', values, { axis: a }, [{ dtype: values[0].dtype, shape }])[0];
}

export interface SliceSpec {
  readonly axes: readonly number[];
  readonly starts: readonly number[];
  /** Exclusive; clamped to the dim like numpy. */
  readonly ends: readonly number[];
  /** Positive steps only (all we need, and all the gradient rule supports). */
  readonly steps?: readonly number[];
}

export function slice(x: Value, spec: SliceSpec): Value {
  const rank = x.shape.length;
  const axes = spec.axes.map((ax) => normAxis(ax, rank, 'Slice'));
  const steps = spec.steps ?? axes.map(() => 1);
  const shape = [...x.shape];
  const starts: number[] = [];
  const ends: number[] = [];
  axes.forEach((ax, i) => {
    const dim = staticDim(x, ax, 'Slice');
    if (steps[i] < 1) throw new GraphError('slice', `Slice: step ${steps[i]} on axis ${ax} must be positive`);
    const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
    const s = clampIdx(spec.starts[i]);
    const e = clampIdx(spec.ends[i]);
    starts.push(s);
    ends.push(e);
    shape[ax] = Math.max(0, Math.ceil((e - s) / steps[i]));
  });
  const g = x.graph;
  // onnxruntime takes a slower copy path when a steps input is present, so unit steps are omitted.
  const unit = steps.every((st) => st === 1);
  const inputs = [x, g.ints(starts), g.ints(ends), g.ints(axes), ...(unit ? [] : [g.ints(steps)])];
  return g.addNode('Slice', inputs, {}, [{ dtype: x.dtype, shape }])[0];
}

/** Constant-mode pad; pads in ONNX order [begin_0 .. begin_r-1, end_0 .. end_r-1], all >= 0. */
export function pad(x: Value, pads: readonly number[], value = 0, mode: 'constant' | 'reflect' | 'edge' = 'constant'): Value {
  const rank = x.shape.length;
  if (pads.length !== 2 * rank || pads.some((p) => p < 0)) {
    throw new GraphError('pad', `Pad: pads [${pads}] must be ${2 * rank} non-negative numbers`);
  }
  const shape = x.shape.map((d, i) => {
    if (pads[i] === 0 && pads[i + rank] === 0) return d;
    return staticDim(x, i, 'Pad') + pads[i] + pads[i + rank];
  });
  const g = x.graph;
  const inputs = [x, g.ints(pads), mode === 'constant' ? g.scalar(value, x.dtype) : null];
  return g.addNode('Pad', inputs, { mode }, [{ dtype: x.dtype, shape }])[0];
}

/** Broadcast x against static dims (numpy rules, both ways), e.g. [N, C, 1, 1] with [1, 1, H, W]. */
export function expand(x: Value, dims: readonly number[]): Value {
  const shape = broadcastShapes(x.shape, dims, 'Expand');
  return x.graph.addNode('Expand', [x, x.graph.ints(dims)], {}, [{ dtype: x.dtype, shape }])[0];
}

/** Broadcast x to the run-time shape of `like`. */
export function expandLike(x: Value, like: Value): Value {
  return x.graph.addNode('Expand', [x, shapeOf(like)], {}, [{ dtype: x.dtype, shape: like.shape }])[0];
}

export function unsqueeze(x: Value, axes: readonly number[]): Value {
  const rank = x.shape.length + axes.length;
  const norm = axes.map((a) => normAxis(a, rank, 'Unsqueeze')).sort((p, q) => p - q);
  const shape: Dim[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) shape.push(norm.includes(i) ? 1 : x.shape[j++]);
  return x.graph.addNode('Unsqueeze', [x, x.graph.ints(norm)], {}, [{ dtype: x.dtype, shape }])[0];
}

export function squeeze(x: Value, axes: readonly number[]): Value {
  const norm = axes.map((a) => normAxis(a, x.shape.length, 'Squeeze'));
  for (const a of norm) {
    if (x.shape[a] !== 1) throw new GraphError('squeeze', `Squeeze: axis ${a} of ${x.name} ${shapeToString(x.shape)} is not 1`);
  }
  const shape = x.shape.filter((_, i) => !norm.includes(i));
  return x.graph.addNode('Squeeze', [x, x.graph.ints(norm)], {}, [{ dtype: x.dtype, shape }])[0];
}

function reduce(op: 'ReduceSum' | 'ReduceMean', x: Value, axes: readonly number[] | undefined, keepdims: boolean): Value {
  const rank = x.shape.length;
  const norm = (axes ?? x.shape.map((_, i) => i)).map((a) => normAxis(a, rank, op));
  const shape: Dim[] = [];
  x.shape.forEach((d, i) => {
    if (!norm.includes(i)) shape.push(d);
    else if (keepdims) shape.push(1);
  });
  const g = x.graph;
  return g.addNode(op, [x, g.ints(norm)], { keepdims: keepdims ? 1 : 0 }, [{ dtype: x.dtype, shape }])[0];
}

/** Sum over axes (all axes when omitted). */
export const reduceSum = (x: Value, axes?: readonly number[], keepdims = false): Value => reduce('ReduceSum', x, axes, keepdims);
/** Mean over axes (all axes when omitted). */
export const reduceMean = (x: Value, axes?: readonly number[], keepdims = false): Value => reduce('ReduceMean', x, axes, keepdims);

/** The reduced axes of a ReduceSum/ReduceMean/Squeeze/Unsqueeze node (its int64 constant input). */
export function constInts(v: Value | null, what: string): number[] {
  if (!v || v.kind !== 'const' || !(v.data instanceof BigInt64Array)) {
    throw new GraphError('dynamic-input', `${what} must be an int64 constant`);
  }
  return Array.from(v.data, Number);
}

