// Indexed op builders: GatherElements and ScatterElements with reduction 'add', the pair that
// makes a warp with fixed sampling indices differentiable (each is the other's gradient).
import { GraphError, shapeToString, type Value } from './ir';
import { normAxis } from './ops-shape';

/**
 * Indices must be int64 of data's rank and no larger than data off the indexed axis (as ONNX
 * requires). Symbolic dims pass, as in broadcasting: only the run knows them.
 */
function checkIndices(op: string, data: Value, indices: Value, axis: number): void {
  if (indices.dtype !== 'int64') throw new GraphError('dtype', `${op}: indices ${indices.name} must be int64, are ${indices.dtype}`);
  if (indices.shape.length !== data.shape.length || data.shape.length === 0) {
    throw new GraphError(
      'shape',
      `${op}: indices ${shapeToString(indices.shape)} and data ${shapeToString(data.shape)} need the same rank (at least 1)`,
    );
  }
  data.shape.forEach((d, i) => {
    if (i === axis) return;
    const k = indices.shape[i];
    if (typeof d === 'number' && typeof k === 'number' && k > d) {
      throw new GraphError(
        'shape',
        `${op}: indices ${shapeToString(indices.shape)} exceed data ${shapeToString(data.shape)} on axis ${i}`,
      );
    }
  });
}

/**
 * out[i0, .., ik, ..] = data[i0, .., indices[i0, .., ik, ..], ..] with k = axis: one element per
 * index, so the output has the indices' shape and the data's dtype. Indices are not bounds-checked
 * here (onnxruntime refuses out-of-range ones at run time).
 */
export function gatherElements(data: Value, indices: Value, axis: number): Value {
  const a = normAxis(axis, data.shape.length, 'GatherElements');
  checkIndices('GatherElements', data, indices, a);
  return data.graph.addNode('GatherElements', [data, indices], { axis: a }, [{ dtype: data.dtype, shape: indices.shape }])[0];
}

/**
 * A copy of data with each update added at its index along axis:
 * out[.., indices[.., ik, ..], ..] += updates[.., ik, ..]. Duplicate indices sum (the reason
 * for reduction 'add': it is the adjoint of GatherElements).
 */
export function scatterElementsAdd(data: Value, indices: Value, updates: Value, axis: number): Value {
  const op = 'ScatterElements';
  const a = normAxis(axis, data.shape.length, op);
  checkIndices(op, data, indices, a);
  if (updates.dtype !== data.dtype) throw new GraphError('dtype', `${op}: updates are ${updates.dtype}, data is ${data.dtype}`);
  const sameShape =
    updates.shape.length === indices.shape.length &&
    updates.shape.every((d, i) => d === indices.shape[i] || typeof d === 'string' || typeof indices.shape[i] === 'string');
  if (!sameShape) {
    throw new GraphError('shape', `${op}: updates ${shapeToString(updates.shape)} must have the indices' shape ${shapeToString(indices.shape)}`);
  }
  return data.graph.addNode(op, [data, indices, updates], { axis: a, reduction: 'add' }, [{ dtype: data.dtype, shape: data.shape }])[0];
}
