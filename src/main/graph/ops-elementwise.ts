// Elementwise op builders with numpy broadcasting: arithmetic, activations, comparisons, Where, Clip.
import { GraphError, isFloat, shapeToString, type DType, type Dim, type Shape, type Value } from './ir';

/** A value, or a plain number that becomes a scalar constant of the partner's dtype. */
export type Operand = Value | number;

export function broadcastShapes(a: Shape, b: Shape, op: string): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else if (typeof da === 'string' || typeof db === 'string') out.push(typeof da === 'number' ? da : db);
    else throw new GraphError('broadcast', `${op}: shapes ${shapeToString(a)} and ${shapeToString(b)} do not broadcast`);
  }
  return out;
}

function pickGraph(...xs: Operand[]): Value {
  const v = xs.find((x): x is Value => typeof x !== 'number');
  if (!v) throw new GraphError('no-value', 'an op needs at least one graph value among its operands');
  return v;
}

function lift(x: Operand, like: Value): Value {
  return typeof x === 'number' ? like.graph.scalar(x, like.dtype) : x;
}

function binary(op: string, a: Operand, b: Operand, outDtype?: DType): Value {
  const ref = pickGraph(a, b);
  const va = lift(a, ref);
  const vb = lift(b, ref);
  if (va.dtype !== vb.dtype) throw new GraphError('dtype', `${op}: dtypes ${va.dtype} and ${vb.dtype} differ`);
  const shape = broadcastShapes(va.shape, vb.shape, op);
  return ref.graph.addNode(op, [va, vb], {}, [{ dtype: outDtype ?? va.dtype, shape }])[0];
}

function unary(op: string, x: Value, attrs: Record<string, number> = {}): Value {
  return x.graph.addNode(op, [x], attrs, [{ dtype: x.dtype, shape: x.shape }])[0];
}

function requireFloat(op: string, x: Value): void {
  if (!isFloat(x.dtype)) throw new GraphError('dtype', `${op}: needs a float input, ${x.name} is ${x.dtype}`);
}

export const add = (a: Operand, b: Operand): Value => binary('Add', a, b);
export const sub = (a: Operand, b: Operand): Value => binary('Sub', a, b);
export const mul = (a: Operand, b: Operand): Value => binary('Mul', a, b);
export const div = (a: Operand, b: Operand): Value => binary('Div', a, b);
export const pow = (a: Operand, b: Operand): Value => binary('Pow', a, b);

export const greater = (a: Operand, b: Operand): Value => binary('Greater', a, b, 'bool');
export const less = (a: Operand, b: Operand): Value => binary('Less', a, b, 'bool');
export const equal = (a: Operand, b: Operand): Value => binary('Equal', a, b, 'bool');

export const neg = (x: Value): Value => unary('Neg', x);
export const abs = (x: Value): Value => unary('Abs', x);
export const sign = (x: Value): Value => unary('Sign', x);
export const identity = (x: Value): Value => unary('Identity', x);

export function sqrt(x: Value): Value {
  requireFloat('Sqrt', x);
  return unary('Sqrt', x);
}
export function exp(x: Value): Value {
  requireFloat('Exp', x);
  return unary('Exp', x);
}
export function log(x: Value): Value {
  requireFloat('Log', x);
  return unary('Log', x);
}
export function relu(x: Value): Value {
  requireFloat('Relu', x);
  return unary('Relu', x);
}
export function leakyRelu(x: Value, alpha = 0.01): Value {
  requireFloat('LeakyRelu', x);
  return unary('LeakyRelu', x, { alpha });
}
export function tanh(x: Value): Value {
  requireFloat('Tanh', x);
  return unary('Tanh', x);
}
export function sigmoid(x: Value): Value {
  requireFloat('Sigmoid', x);
  return unary('Sigmoid', x);
}

/** Sum of any number of same-dtype values with broadcasting (ONNX Sum). */
export function sum(values: readonly Value[]): Value {
  if (values.length === 0) throw new GraphError('no-value', 'Sum needs at least one input');
  if (values.length === 1) return values[0];
  const shape = values.slice(1).reduce<Shape>((s, v) => broadcastShapes(s, v.shape, 'Sum'), values[0].shape);
  return values[0].graph.addNode('Sum', values, {}, [{ dtype: values[0].dtype, shape }])[0];
}

export function where(cond: Value, a: Operand, b: Operand): Value {
  if (cond.dtype !== 'bool') throw new GraphError('dtype', `Where: condition ${cond.name} must be bool, is ${cond.dtype}`);
  const ref = pickGraph(a, b);
  const va = lift(a, ref);
  const vb = lift(b, ref);
  const shape = broadcastShapes(broadcastShapes(cond.shape, va.shape, 'Where'), vb.shape, 'Where');
  return cond.graph.addNode('Where', [cond, va, vb], {}, [{ dtype: va.dtype, shape }])[0];
}

/** Clip to [min, max]; either bound may be omitted. */
export function clip(x: Value, min?: number, max?: number): Value {
  const g = x.graph;
  const lo = min === undefined ? null : g.scalar(min, x.dtype);
  const hi = max === undefined ? null : g.scalar(max, x.dtype);
  return g.addNode('Clip', [x, lo, hi], {}, [{ dtype: x.dtype, shape: x.shape }])[0];
}

const ONNX_DTYPE_CODE: Record<DType, number> = { float32: 1, int64: 7, bool: 9, float64: 11 };
export const onnxDtypeCode = (dtype: DType): number => ONNX_DTYPE_CODE[dtype];

export function cast(x: Value, to: DType): Value {
  if (x.dtype === to) return x;
  return x.graph.addNode('Cast', [x], { to: ONNX_DTYPE_CODE[to] }, [{ dtype: to, shape: x.shape }])[0];
}
