// Plain-data types for the subset of ONNX this project writes and reads, their protobuf
// encoding (encodeModel / decodeModel, field numbers from onnx.proto3) and tensor helpers.

import { Writer } from './protobuf';

/** ONNX TensorProto.DataType values used here; TensorProto.dataType may hold others when decoded. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;
export type DataType = (typeof DataType)[keyof typeof DataType];

const ELEMENT_BYTES: Readonly<Record<number, number>> = {
  [DataType.FLOAT]: 4,
  [DataType.UINT8]: 1,
  [DataType.INT8]: 1,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
  [DataType.BOOL]: 1,
  [DataType.DOUBLE]: 8,
};

/** AttributeProto.AttributeType values for the attribute kinds supported here. */
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

/** TensorProto.DataLocation.EXTERNAL: the data lives in a side file, which is not supported. */
export const DATA_LOCATION_EXTERNAL = 1;
/** Protobuf messages cannot exceed 2 GiB; bigger ONNX models need external data files. */
const MAX_MODEL_BYTES = 0x7fffffff;

export interface ModelProto {
  irVersion: number;
  opsetImport: readonly OperatorSetId[];
  producerName: string;
  producerVersion: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph: GraphProto;
  metadataProps: readonly StringStringEntry[];
}

export interface OperatorSetId {
  /** '' is the default ai.onnx domain. */
  domain: string;
  version: number;
}

export interface StringStringEntry {
  key: string;
  value: string;
}

export interface GraphProto {
  name: string;
  node: readonly NodeProto[];
  initializer: readonly TensorProto[];
  input: readonly ValueInfoProto[];
  output: readonly ValueInfoProto[];
  valueInfo?: readonly ValueInfoProto[];
  docString?: string;
}

export interface NodeProto {
  /** '' marks an omitted optional input. */
  input: readonly string[];
  output: readonly string[];
  name?: string;
  opType: string;
  domain?: string;
  attribute: readonly AttributeProto[];
  docString?: string;
}

export type AttributeValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: TensorProto }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'strings'; value: readonly string[] };

export type AttributeProto = { name: string; docString?: string } & AttributeValue;

export interface TensorProto {
  name?: string;
  dims: readonly number[];
  /** A DataType value. */
  dataType: number;
  /** Little-endian element data. */
  rawData: Uint8Array;
}

export interface ValueInfoProto {
  name: string;
  /** A DataType value; 0 when the file gives no type. */
  elemType: number;
  /** Sizes, or symbol names such as 'N' ('' is an unnamed unknown size); undefined means unknown rank. */
  shape?: readonly (number | string)[];
}

export class OnnxProtoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxProtoError';
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding

/**
 * Serialises a model. Large tensor rawData arrays are copied once, straight into the result,
 * so they must not change while this runs.
 */
export function encodeModel(model: ModelProto): Uint8Array {
  const w = new Writer();
  w.int64(1, model.irVersion);
  w.string(2, model.producerName);
  w.string(3, model.producerVersion);
  if (model.domain !== undefined) w.string(4, model.domain);
  if (model.modelVersion !== undefined) w.int64(5, model.modelVersion);
  if (model.docString !== undefined) w.string(6, model.docString);
  w.message(7, (g) => writeGraph(g, model.graph));
  for (const opset of model.opsetImport) {
    w.message(8, (o) => o.string(1, opset.domain).int64(2, opset.version));
  }
  for (const entry of model.metadataProps) {
    w.message(14, (e) => e.string(1, entry.key).string(2, entry.value));
  }
  if (w.length > MAX_MODEL_BYTES) {
    throw new OnnxProtoError(`model is ${w.length} bytes; ONNX protobuf files are limited to 2 GiB`);
  }
  return w.finish();
}

function writeGraph(w: Writer, graph: GraphProto): void {
  for (const node of graph.node) w.message(1, (n) => writeNode(n, node));
  w.string(2, graph.name);
  for (const tensor of graph.initializer) w.message(5, (t) => writeTensor(t, tensor));
  if (graph.docString !== undefined) w.string(10, graph.docString);
  for (const info of graph.input) w.message(11, (v) => writeValueInfo(v, info));
  for (const info of graph.output) w.message(12, (v) => writeValueInfo(v, info));
  for (const info of graph.valueInfo ?? []) w.message(13, (v) => writeValueInfo(v, info));
}

function writeNode(w: Writer, node: NodeProto): void {
  for (const name of node.input) w.string(1, name);
  for (const name of node.output) w.string(2, name);
  if (node.name !== undefined) w.string(3, node.name);
  w.string(4, node.opType);
  for (const attr of node.attribute) w.message(5, (a) => writeAttribute(a, attr));
  if (node.docString !== undefined) w.string(6, node.docString);
  if (node.domain !== undefined) w.string(7, node.domain);
}

function writeAttribute(w: Writer, attr: AttributeProto): void {
  w.string(1, attr.name);
  let type: number;
  switch (attr.kind) {
    case 'float':
      w.float(2, attr.value);
      type = AttrType.FLOAT;
      break;
    case 'int':
      w.int64(3, attr.value);
      type = AttrType.INT;
      break;
    case 'string':
      w.string(4, attr.value);
      type = AttrType.STRING;
      break;
    case 'tensor':
      w.message(5, (t) => writeTensor(t, attr.value));
      type = AttrType.TENSOR;
      break;
    case 'floats':
      w.packedFloat(7, attr.value);
      type = AttrType.FLOATS;
      break;
    case 'ints':
      w.packedInt64(8, attr.value);
      type = AttrType.INTS;
      break;
    case 'strings':
      for (const s of attr.value) w.string(9, s);
      type = AttrType.STRINGS;
      break;
  }
  if (attr.docString !== undefined) w.string(13, attr.docString);
  w.int64(20, type);
}

function writeTensor(w: Writer, tensor: TensorProto): void {
  checkTensorSize(tensor);
  w.packedInt64(1, tensor.dims);
  w.int64(2, tensor.dataType);
  if (tensor.name !== undefined) w.string(8, tensor.name);
  w.bytes(9, tensor.rawData);
}

function writeValueInfo(w: Writer, info: ValueInfoProto): void {
  w.string(1, info.name);
  // ValueInfoProto.type -> TypeProto.tensor_type -> {elem_type, shape -> TensorShapeProto.dim[]}
  w.message(2, (type) =>
    type.message(1, (tensorType) => {
      tensorType.int64(1, info.elemType);
      const shape = info.shape;
      if (shape === undefined) return;
      tensorType.message(2, (s) => {
        for (const d of shape) {
          s.message(1, (dim) => {
            if (typeof d === 'number') dim.int64(1, d);
            else if (d !== '') dim.string(2, d);
          });
        }
      });
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Tensor helpers. ONNX raw_data is little-endian, as is every platform Electron runs on, so
// typed arrays are viewed as bytes without reordering.

/** A FLOAT tensor whose rawData is a view of `data` (no copy). */
export function tensorFromFloat32(name: string, dims: readonly number[], data: Float32Array): TensorProto {
  return makeTensor(name, dims, DataType.FLOAT, data);
}

/** A DOUBLE tensor whose rawData is a view of `data` (no copy). */
export function tensorFromFloat64(name: string, dims: readonly number[], data: Float64Array): TensorProto {
  return makeTensor(name, dims, DataType.DOUBLE, data);
}

/** An INT64 tensor; a BigInt64Array is viewed (no copy), a number list is converted. */
export function tensorFromInt64(name: string, dims: readonly number[], data: BigInt64Array | readonly number[]): TensorProto {
  if (!(data instanceof BigInt64Array)) {
    data = BigInt64Array.from(data, (v) => {
      if (!Number.isSafeInteger(v)) throw new RangeError(`tensor ${name}: ${v} is not a safe integer`);
      return BigInt(v);
    });
  }
  return makeTensor(name, dims, DataType.INT64, data);
}

/** The elements of a FLOAT tensor: a view of rawData when aligned, else a copy. */
export function tensorToFloat32(tensor: TensorProto): Float32Array {
  return typedData(tensor, DataType.FLOAT, Float32Array);
}

/** The elements of a DOUBLE tensor: a view of rawData when aligned, else a copy. */
export function tensorToFloat64(tensor: TensorProto): Float64Array {
  return typedData(tensor, DataType.DOUBLE, Float64Array);
}

/** The elements of an INT64 tensor: a view of rawData when aligned, else a copy. */
export function tensorToInt64(tensor: TensorProto): BigInt64Array {
  return typedData(tensor, DataType.INT64, BigInt64Array);
}

function makeTensor(
  name: string,
  dims: readonly number[],
  dataType: DataType,
  data: Float32Array | Float64Array | BigInt64Array,
): TensorProto {
  const tensor: TensorProto = { name, dims: [...dims], dataType, rawData: bytesOf(data) };
  checkTensorSize(tensor);
  return tensor;
}

interface TypedArrayConstructor<T> {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

function typedData<T>(tensor: TensorProto, dataType: DataType, ctor: TypedArrayConstructor<T>): T {
  if (tensor.dataType !== dataType) {
    throw new OnnxProtoError(`tensor ${tensor.name ?? '(unnamed)'} has data type ${tensor.dataType}, not ${dataType}`);
  }
  checkTensorSize(tensor);
  // Typed arrays need an offset aligned to their element size; decoded rawData often is not.
  const raw = tensor.rawData.byteOffset % ctor.BYTES_PER_ELEMENT === 0 ? tensor.rawData : tensor.rawData.slice();
  return new ctor(raw.buffer, raw.byteOffset, raw.byteLength / ctor.BYTES_PER_ELEMENT);
}

export function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Checks dims and, for the data types listed in DataType, that rawData holds exactly the elements. */
export function checkTensorSize(tensor: TensorProto): void {
  const label = tensor.name ?? '(unnamed)';
  let count = 1;
  for (const d of tensor.dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new OnnxProtoError(`tensor ${label}: bad dimension ${d}`);
    count *= d;
  }
  const elementBytes = ELEMENT_BYTES[tensor.dataType];
  if (elementBytes !== undefined && tensor.rawData.byteLength !== count * elementBytes) {
    throw new OnnxProtoError(
      `tensor ${label}: dims [${tensor.dims.join(', ')}] need ${count * elementBytes} bytes of data, got ${tensor.rawData.byteLength}`,
    );
  }
}
