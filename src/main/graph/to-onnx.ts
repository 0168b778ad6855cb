// Serialises an IR graph to an ONNX ModelProto (opset 18) that onnxruntime loads: only nodes that
// reach an output are kept; params become initializers (inference) or inputs (training graphs).
import { GraphError, numel, type AttrValue, type Graph, type Node, type TypedData, type Value } from './ir';
import { onnxDtypeCode } from './ops-elementwise';
import { encodeModel, type AttributeProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from './onnx-proto';

export const OPSET = 18;
export const IR_VERSION = 8;

export interface ExportOptions {
  /** 'inputs' for training step graphs (weights fed each run), or the weights to embed, keyed by param name. */
  readonly params: 'inputs' | ReadonlyMap<string, Float32Array>;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly docString?: string;
}

/** Attributes ONNX types as float even when their value happens to be a whole number. */
const FLOAT_ATTRS = new Set(['alpha', 'beta', 'epsilon']);

export function toModelProto(graph: Graph, options: ExportOptions): ModelProto {
  const { nodes, used } = liveNodes(graph);
  const rename = outputNames(graph);
  const nameOf = (v: Value | null): string => (v ? (rename.get(v.id) ?? v.name) : '');

  const nodeProtos: NodeProto[] = nodes.map((n) => ({
    opType: n.op,
    name: `${n.op}_${n.id}`,
    input: n.inputs.map(nameOf),
    output: n.outputs.map(nameOf),
    attribute: Object.entries(n.attrs).map(([k, v]) => attribute(k, v)),
  }));
  for (const { name, value } of graph.outputs) {
    if (rename.get(value.id) !== name) nodeProtos.push({ opType: 'Identity', name: `out_${name}`, input: [nameOf(value)], output: [name], attribute: [] });
  }

  const initializer: TensorProto[] = [];
  const inputs: ValueInfoProto[] = graph.inputs.filter((v) => used.has(v.id)).map(valueInfo);
  for (const p of graph.params) {
    if (!used.has(p.id)) continue;
    if (options.params === 'inputs') inputs.push(valueInfo(p));
    else initializer.push(tensor(p.name, p.shape as number[], p.dtype, weightOf(options.params, p)));
  }
  for (const v of constantsOf(nodes)) initializer.push(tensor(v.name, v.shape as number[], v.dtype, v.data as TypedData));

  return {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'ganimation-studio',
    producerVersion: '0.1.0',
    docString: options.docString,
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: graph.name,
      node: nodeProtos,
      initializer,
      input: inputs,
      output: graph.outputs.map(({ name, value }) => ({ ...valueInfo(value), name })),
    },
  };
}

export const toOnnx = (graph: Graph, options: ExportOptions): Uint8Array => encodeModel(toModelProto(graph, options));

/** Nodes reachable backwards from the outputs, in topological order, and every value they touch. */
function liveNodes(graph: Graph): { nodes: Node[]; used: Set<number> } {
  if (graph.outputs.length === 0) throw new GraphError('no-output', `graph ${graph.name} has no outputs`);
  const used = new Set<number>();
  const live = new Set<number>();
  const stack = graph.outputs.map((o) => o.value);
  while (stack.length) {
    const v = stack.pop() as Value;
    if (used.has(v.id)) continue;
    used.add(v.id);
    if (v.producer && !live.has(v.producer.id)) {
      live.add(v.producer.id);
      for (const input of v.producer.inputs) if (input) stack.push(input);
    }
  }
  return { nodes: graph.nodes.filter((n) => live.has(n.id)), used };
}

/** A node-produced value exported once takes the output's name, so no Identity copy is needed. */
function outputNames(graph: Graph): Map<number, string> {
  const rename = new Map<number, string>();
  for (const { name, value } of graph.outputs) {
    if (value.kind === 'op' && !rename.has(value.id)) rename.set(value.id, name);
  }
  return rename;
}

function constantsOf(nodes: Node[]): Value[] {
  const seen = new Map<number, Value>();
  for (const n of nodes) for (const v of n.inputs) if (v && v.kind === 'const') seen.set(v.id, v);
  return [...seen.values()];
}

function weightOf(weights: ReadonlyMap<string, Float32Array>, p: Value): Float32Array {
  const data = weights.get(p.name);
  if (!data) throw new GraphError('missing-weight', `no weights given for parameter ${p.name}`);
  if (data.length !== numel(p.shape)) {
    throw new GraphError('missing-weight', `parameter ${p.name} needs ${numel(p.shape)} values, got ${data.length}`);
  }
  return data;
}

function valueInfo(v: Value): ValueInfoProto {
  return { name: v.name, elemType: onnxDtypeCode(v.dtype), shape: [...v.shape] };
}

function tensor(name: string, dims: number[], dtype: Value['dtype'], data: TypedData): TensorProto {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { name, dims, dataType: onnxDtypeCode(dtype), rawData: bytes };
}

function attribute(name: string, v: AttrValue): AttributeProto {
  if (typeof v === 'string') return { name, kind: 'string', value: v };
  if (typeof v === 'number') return { name, kind: FLOAT_ATTRS.has(name) ? 'float' : 'int', value: v };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'number')) return { name, kind: 'ints', value: v as number[] };
    return { name, kind: 'strings', value: v as string[] };
  }
  const t = v as Exclude<AttrValue, number | string | readonly unknown[]>;
  const data = t.dtype === 'int64' ? BigInt64Array.from(t.data.map((x) => BigInt(x))) : t.dtype === 'float64' ? Float64Array.from(t.data) : Float32Array.from(t.data);
  return { name, kind: 'tensor', value: tensor('', [...t.dims], t.dtype, data) };
}
