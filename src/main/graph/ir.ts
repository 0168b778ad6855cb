// The tensor-graph IR: typed values with static or symbolic dims, nodes that produce them,
// and a Graph that owns both. Op builders (ops-*.ts) add nodes; autodiff appends gradient nodes.
import type { GraphEmission } from './emission';

export type DType = 'float32' | 'float64' | 'int64' | 'bool';
/** A dimension: a known size, or a symbol such as 'N' (batch) that is fixed only at run time. */
export type Dim = number | string;
export type Shape = readonly Dim[];

export type AttrValue = number | string | readonly number[] | readonly string[] | TensorAttr;
/** A tensor-valued attribute (ConstantOfShape's value). */
export interface TensorAttr {
  readonly kind: 'tensor';
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: readonly number[];
}
export type Attrs = Readonly<Record<string, AttrValue>>;

export type ValueKind = 'input' | 'param' | 'const' | 'op';
export type TypedData = Float32Array | Float64Array | BigInt64Array | Uint8Array;

export interface Value {
  readonly id: number;
  readonly graph: Graph;
  readonly kind: ValueKind;
  readonly dtype: DType;
  readonly shape: Shape;
  /** The ONNX name; inputs and params keep the name they were given. */
  readonly name: string;
  readonly producer?: Node;
  /** Constant payload, for kind 'const'. */
  readonly data?: TypedData;
}

export interface Node {
  readonly id: number;
  readonly op: string;
  /** null marks an omitted optional input (ONNX empty name). */
  readonly inputs: readonly (Value | null)[];
  readonly outputs: readonly Value[];
  readonly attrs: Attrs;
}

export interface OutputSpec {
  readonly dtype: DType;
  readonly shape: Shape;
}

export class GraphError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'GraphError';
    this.code = code;
  }
}

const FLOAT_TYPES: ReadonlySet<DType> = new Set(['float32', 'float64']);
export const isFloat = (dtype: DType): boolean => FLOAT_TYPES.has(dtype);

export const isStatic = (shape: Shape): shape is readonly number[] =>
  shape.every((d) => typeof d === 'number');

export function numel(shape: Shape): number {
  if (!isStatic(shape)) throw new GraphError('symbolic-shape', `shape [${shape.join(', ')}] is not static`);
  return shape.reduce((a, b) => a * b, 1);
}

export const shapeToString = (shape: Shape): string => `[${shape.join(', ')}]`;

export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  readonly params: Value[] = [];
  readonly outputs: { name: string; value: Value }[] = [];
  private nextId = 0;
  private readonly names = new Set<string>();
  private readonly scalarCache = new Map<string, Value>();

  /** @param emission how gradient rules emit patterns with several fast forms (emission.ts); default: the size rules. */
  constructor(
    readonly name = 'graph',
    readonly emission: GraphEmission = {},
  ) {}

  /** A runtime input such as an image batch [N, 3, H, W]. */
  input(name: string, dtype: DType, shape: Shape): Value {
    const value = this.makeValue('input', dtype, shape, this.claimName(name));
    this.inputs.push(value);
    return value;
  }

  /** A trainable parameter: an initializer when exported for inference, an input in training graphs. */
  param(name: string, shape: readonly number[], dtype: DType = 'float32'): Value {
    const value = this.makeValue('param', dtype, shape, this.claimName(name));
    this.params.push(value);
    return value;
  }

  constant(data: TypedData, shape: readonly number[], dtype: DType): Value {
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) {
      throw new GraphError('bad-constant', `constant of shape ${shapeToString(shape)} needs ${size} elements, got ${data.length}`);
    }
    return this.makeValue('const', dtype, shape, this.claimName(`c${this.nextId}`), undefined, data);
  }

  /** A cached rank-0 constant; broadcasting makes it usable against any shape. */
  scalar(value: number, dtype: DType = 'float32'): Value {
    const key = `${dtype}:${value}`;
    let v = this.scalarCache.get(key);
    if (!v) {
      v = this.constant(typedArrayOf(dtype, [value]), [], dtype);
      this.scalarCache.set(key, v);
    }
    return v;
  }

  /** A rank-1 int64 constant, as ONNX wants for axes, shapes, pads and slice bounds. */
  ints(values: readonly number[]): Value {
    return this.constant(typedArrayOf('int64', values), [values.length], 'int64');
  }

  addNode(op: string, inputs: readonly (Value | null)[], attrs: Attrs, outputs: readonly OutputSpec[]): Value[] {
    for (const v of inputs) {
      if (v && v.graph !== this) throw new GraphError('foreign-value', `${op}: input ${v.name} belongs to another graph`);
    }
    const id = this.nextId++;
    const outs: Value[] = [];
    const node: Node = { id, op, inputs: [...inputs], outputs: outs, attrs };
    for (const spec of outputs) {
      outs.push(this.makeValue('op', spec.dtype, spec.shape, this.claimName(`v${this.nextId}`), node));
    }
    this.nodes.push(node);
    return outs;
  }

  output(name: string, value: Value): void {
    if (this.outputs.some((o) => o.name === name)) throw new GraphError('duplicate-name', `output ${name} is defined twice`);
    this.outputs.push({ name, value });
  }

  private claimName(name: string): string {
    if (this.names.has(name)) throw new GraphError('duplicate-name', `name ${name} is used twice in graph ${this.name}`);
    this.names.add(name);
    return name;
  }

  private makeValue(kind: ValueKind, dtype: DType, shape: Shape, name: string, producer?: Node, data?: TypedData): Value {
    return { id: this.nextId++, graph: this, kind, dtype, shape: [...shape], name, producer, data };
  }
}

export function typedArrayOf(dtype: DType, values: readonly number[]): TypedData {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int64':
      return BigInt64Array.from(values.map((v) => BigInt(Math.trunc(v))));
    case 'bool':
      return Uint8Array.from(values.map((v) => (v ? 1 : 0)));
  }
}
