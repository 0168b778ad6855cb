// Decoding of ONNX ModelProto bytes (the subset onnx-proto.ts describes): unknown fields skipped,
// legacy typed-data fields converted to raw data, external data refused with a clear error.
import { Reader } from './protobuf';
import {
  AttrType, bytesOf, checkTensorSize, DATA_LOCATION_EXTERNAL, DataType, OnnxProtoError,
  type AttributeProto, type AttributeValue, type GraphProto, type ModelProto, type NodeProto, type OperatorSetId,
  type StringStringEntry, type TensorProto, type ValueInfoProto,
} from './onnx-proto';

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

