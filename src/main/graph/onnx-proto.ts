// Plain-data types for the subset of ONNX this project writes and reads, their protobuf
// encoding (encodeModel / decodeModel, field numbers from onnx.proto3) and tensor helpers.

import { Reader, Writer } from './protobuf';

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
const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

/** TensorProto.DataLocation.EXTERNAL: the data lives in a side file, which is not supported. */
const DATA_LOCATION_EXTERNAL = 1;
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
// Decoding

/**
 * Parses a model. Tensor rawData arrays are views into `bytes` (not copies) wherever the file
 * stores raw_data, so `bytes` must outlive them and not be modified. Unknown fields are skipped.
 */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const r = new Reader(bytes);
  let irVersion = 0;
  const opsetImport: OperatorSetId[] = [];
  let producerName = '';
  let producerVersion = '';
  let domain: string | undefined;
  let modelVersion: number | undefined;
  let docString: string | undefined;
  let graph: GraphProto | undefined;
  const metadataProps: StringStringEntry[] = [];
  while (!r.done) {
    switch (r.tag()) {
      case 1:
        irVersion = r.int64();
        break;
      case 2:
        producerName = r.string();
        break;
      case 3:
        producerVersion = r.string();
        break;
      case 4:
        domain = r.string();
        break;
      case 5:
        modelVersion = r.int64();
        break;
      case 6:
        docString = r.string();
        break;
      case 7:
        graph = readGraph(r.message());
        break;
      case 8:
        opsetImport.push(readOpset(r.message()));
        break;
      case 14:
        metadataProps.push(readEntry(r.message()));
        break;
      default:
        r.skip();
    }
  }
  if (!graph) throw new OnnxProtoError('model has no graph');
  const model: ModelProto = { irVersion, opsetImport, producerName, producerVersion, graph, metadataProps };
  if (domain !== undefined) model.domain = domain;
  if (modelVersion !== undefined) model.modelVersion = modelVersion;
  if (docString !== undefined) model.docString = docString;
  return model;
}

function readOpset(r: Reader): OperatorSetId {
  const opset: OperatorSetId = { domain: '', version: 0 };
  while (!r.done) {
    switch (r.tag()) {
      case 1:
        opset.domain = r.string();
        break;
      case 2:
        opset.version = r.int64();
        break;
      default:
        r.skip();
    }
  }
  return opset;
}

function readEntry(r: Reader): StringStringEntry {
  const entry: StringStringEntry = { key: '', value: '' };
  while (!r.done) {
    switch (r.tag()) {
      case 1:
        entry.key = r.string();
        break;
      case 2:
        entry.value = r.string();
        break;
      default:
        r.skip();
    }
  }
  return entry;
}

function readGraph(r: Reader): GraphProto {
  const node: NodeProto[] = [];
  let name = '';
  const initializer: TensorProto[] = [];
  let docString: string | undefined;
  const input: ValueInfoProto[] = [];
  const output: ValueInfoProto[] = [];
  const valueInfo: ValueInfoProto[] = [];
  while (!r.done) {
    switch (r.tag()) {
      case 1:
        node.push(readNode(r.message()));
        break;
      case 2:
        name = r.string();
        break;
      case 5:
        initializer.push(readTensor(r.message()));
        break;
      case 10:
        docString = r.string();
        break;
      case 11:
        input.push(readValueInfo(r.message()));
        break;
      case 12:
        output.push(readValueInfo(r.message()));
        break;
      case 13:
        valueInfo.push(readValueInfo(r.message()));
        break;
      default:
        r.skip();
    }
  }
  const graph: GraphProto = { name, node, initializer, input, output };
  if (valueInfo.length > 0) graph.valueInfo = valueInfo;
  if (docString !== undefined) graph.docString = docString;
  return graph;
}

function readNode(r: Reader): NodeProto {
  const input: string[] = [];
  const output: string[] = [];
  let name: string | undefined;
  let opType = '';
  let domain: string | undefined;
  const attribute: AttributeProto[] = [];
  let docString: string | undefined;
  while (!r.done) {
    switch (r.tag()) {
      case 1:
        input.push(r.string());
        break;
      case 2:
        output.push(r.string());
        break;
      case 3:
        name = r.string();
        break;
      case 4:
        opType = r.string();
        break;
      case 5:
        attribute.push(readAttribute(r.message()));
        break;
      case 6:
        docString = r.string();
        break;
      case 7:
        domain = r.string();
        break;
      default:
        r.skip();
    }
  }
  const node: NodeProto = { input, output, opType, attribute };
  if (name !== undefined) node.name = name;
  if (domain !== undefined) node.domain = domain;
  if (docString !== undefined) node.docString = docString;
  return node;
}

function readAttribute(r: Reader): AttributeProto {
  let name = '';
  let type = 0;
  let f: number | undefined;
  let i: number | undefined;
  let s: string | undefined;
  let t: TensorProto | undefined;
  const floats: number[] = [];
  const ints: number[] = [];
  const strings: string[] = [];
  let docString: string | undefined;
  while (!r.done) {
    switch (r.tag()) {
      case 1:
        name = r.string();
        break;
      case 2:
        f = r.float();
        break;
      case 3:
        i = r.int64();
        break;
      case 4:
        s = r.string();
        break;
      case 5:
        t = readTensor(r.message());
        break;
      case 7:
        r.floats(floats);
        break;
      case 8:
        r.int64s(ints);
        break;
      case 9:
        strings.push(r.string());
        break;
      case 13:
        docString = r.string();
        break;
      case 20:
        type = r.int64();
        break;
      default:
        r.skip();
    }
  }
  // Files from before IR version 2 may omit `type`; the one value field present tells it.
  if (type === 0) {
    if (f !== undefined) type = AttrType.FLOAT;
    else if (i !== undefined) type = AttrType.INT;
    else if (s !== undefined) type = AttrType.STRING;
    else if (t !== undefined) type = AttrType.TENSOR;
    else if (floats.length > 0) type = AttrType.FLOATS;
    else if (ints.length > 0) type = AttrType.INTS;
    else if (strings.length > 0) type = AttrType.STRINGS;
  }
  // proto3 writers omit zero/empty scalars, so an absent value field means the default.
  let value: AttributeValue;
  switch (type) {
    case AttrType.FLOAT:
      value = { kind: 'float', value: f ?? 0 };
      break;
    case AttrType.INT:
      value = { kind: 'int', value: i ?? 0 };
      break;
    case AttrType.STRING:
      value = { kind: 'string', value: s ?? '' };
      break;
    case AttrType.TENSOR:
      if (!t) throw new OnnxProtoError(`attribute ${name} has type TENSOR but no tensor`);
      value = { kind: 'tensor', value: t };
      break;
    case AttrType.FLOATS:
      value = { kind: 'floats', value: floats };
      break;
    case AttrType.INTS:
      value = { kind: 'ints', value: ints };
      break;
    case AttrType.STRINGS:
      value = { kind: 'strings', value: strings };
      break;
    default:
      throw new OnnxProtoError(`attribute ${name}: attribute type ${type} is not supported`);
  }
  const attr: AttributeProto = { name, ...value };
  if (docString !== undefined) attr.docString = docString;
  return attr;
}

function readTensor(r: Reader): TensorProto {
  let name: string | undefined;
  const dims: number[] = [];
  let dataType = 0;
  let rawData: Uint8Array | undefined;
  // The typed repeated fields older exporters use instead of raw_data.
  const floatData: number[] = [];
  const int32Data: number[] = [];
  const int64Data: bigint[] = [];
  const doubleData: number[] = [];
  let external = false;
  while (!r.done) {
    switch (r.tag()) {
      case 1:
        r.int64s(dims);
        break;
      case 2:
        dataType = r.int64();
        break;
      case 4:
        r.floats(floatData);
        break;
      case 5:
        r.int64s(int32Data);
        break;
      case 7:
        r.int64sBigInt(int64Data);
        break;
      case 8:
        name = r.string();
        break;
      case 9:
        rawData = r.bytes();
        break;
      case 10:
        r.doubles(doubleData);
        break;
      case 14:
        external = r.int64() === DATA_LOCATION_EXTERNAL;
        break;
      default:
        r.skip();
    }
  }
  const label = name ?? '(unnamed)';
  if (external) throw new OnnxProtoError(`tensor ${label}: external data files are not supported`);
  rawData ??= typedFieldsToRaw(label, dataType, floatData, int32Data, int64Data, doubleData);
  const tensor: TensorProto = name === undefined ? { dims, dataType, rawData } : { name, dims, dataType, rawData };
  checkTensorSize(tensor);
  return tensor;
}

function typedFieldsToRaw(
  label: string,
  dataType: number,
  floatData: number[],
  int32Data: number[],
  int64Data: bigint[],
  doubleData: number[],
): Uint8Array {
  switch (dataType) {
    case DataType.FLOAT:
      return bytesOf(Float32Array.from(floatData));
    case DataType.DOUBLE:
      return bytesOf(Float64Array.from(doubleData));
    case DataType.INT64:
      return bytesOf(BigInt64Array.from(int64Data));
    // int32_data carries every integer type of 32 bits or fewer, one element per entry.
    case DataType.INT32:
      return bytesOf(Int32Array.from(int32Data));
    case DataType.INT8:
      return bytesOf(Int8Array.from(int32Data));
    case DataType.UINT8:
    case DataType.BOOL:
      return Uint8Array.from(int32Data);
    default:
      if (floatData.length + int32Data.length + int64Data.length + doubleData.length === 0) return new Uint8Array(0);
      throw new OnnxProtoError(`tensor ${label}: data type ${dataType} stored outside raw_data is not supported`);
  }
}

function readValueInfo(r: Reader): ValueInfoProto {
  const info: ValueInfoProto = { name: '', elemType: 0 };
  while (!r.done) {
    switch (r.tag()) {
      case 1:
        info.name = r.string();
        break;
      case 2:
        readType(r.message(), info);
        break;
      default:
        r.skip();
    }
  }
  return info;
}

/** Fills elemType and shape from a TypeProto, which must be a tensor type. */
function readType(r: Reader, info: ValueInfoProto): void {
  while (!r.done) {
    const field = r.tag();
    if (field !== 1) {
      // 4 sequence, 5 map, 8 sparse tensor, 9 optional; 6 (denotation) is a harmless string.
      if (field === 6) r.skip();
      else throw new OnnxProtoError(`value ${info.name || '(unnamed)'}: only tensor types are supported`);
      continue;
    }
    const t = r.message();
    while (!t.done) {
      switch (t.tag()) {
        case 1:
          info.elemType = t.int64();
          break;
        case 2:
          info.shape = readShape(t.message());
          break;
        default:
          t.skip();
      }
    }
  }
}

function readShape(r: Reader): (number | string)[] {
  const shape: (number | string)[] = [];
  while (!r.done) {
    if (r.tag() !== 1) {
      r.skip();
      continue;
    }
    const d = r.message();
    let dim: number | string = '';
    while (!d.done) {
      switch (d.tag()) {
        case 1:
          dim = d.int64();
          break;
        case 2:
          dim = d.string();
          break;
        default:
          d.skip();
      }
    }
    shape.push(dim);
  }
  return shape;
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

function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Checks dims and, for the data types listed in DataType, that rawData holds exactly the elements. */
function checkTensorSize(tensor: TensorProto): void {
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
