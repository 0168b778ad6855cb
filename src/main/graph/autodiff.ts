// Reverse-mode autodiff over the IR: appends gradient nodes to the same graph, visiting only the
// nodes on a path from the targets to the loss. Gradients are graph values, so backward can run
// again over a graph that already holds a backward pass (double backward, as WGAN-GP needs).
import { GraphError, isFloat, shapeToString, type Node, type Value } from './ir';
import * as E from './ops-elementwise';
import * as S from './ops-shape';
import { NON_DIFFERENTIABLE, shapeAndElementwiseRules, type GradRule } from './grad-rules';
import { nnRules } from './grad-rules-nn';

const RULES: Readonly<Record<string, GradRule>> = Object.freeze({ ...shapeAndElementwiseRules, ...nnRules });

export const hasGradRule = (op: string): boolean => op in RULES || NON_DIFFERENTIABLE.has(op);

export interface BackwardOptions {
  /** Gradient of the loss itself; defaults to 1 (the loss must then be a scalar). */
  readonly seed?: Value;
}

/**
 * Gradients of `loss` with respect to each of `wrt`, in order. A target that does not reach the
 * loss gets zeros of its own shape. Throws, naming the op, when a node on the path has no rule.
 */
export function backward(loss: Value, wrt: readonly Value[], options: BackwardOptions = {}): Value[] {
  if (!isFloat(loss.dtype)) throw new GraphError('dtype', `backward: loss ${loss.name} must be float, is ${loss.dtype}`);
  const seed = options.seed ?? seedOf(loss);
  const onPath = nodesOnPath(loss, wrt);
  const dependent = new Set(wrt.map((v) => v.id));
  for (const node of onPath) for (const out of node.outputs) dependent.add(out.id);

  const pending = new Map<number, Value[]>([[loss.id, [seed]]]);
  for (let i = onPath.length - 1; i >= 0; i--) {
    const node = onPath[i];
    const gy = collect(pending, node.outputs[0]);
    if (!gy || NON_DIFFERENTIABLE.has(node.op)) continue;
    if (node.outputs.length > 1) throw new GraphError('no-grad', `${node.op}: gradients of multi-output nodes are not supported`);
    const rule = RULES[node.op];
    if (!rule) throw new GraphError('no-grad', `no gradient rule for op ${node.op} (node ${node.outputs[0].name})`);
    const needs = node.inputs.map((v) => !!v && dependent.has(v.id) && isFloat(v.dtype));
    const grads = rule(node, gy, needs);
    node.inputs.forEach((v, k) => {
      const g = grads[k];
      if (!v || !g || !needs[k]) return;
      checkShape(node, v, g);
      const list = pending.get(v.id);
      if (list) list.push(g);
      else pending.set(v.id, [g]);
    });
  }
  return wrt.map((v) => collect(pending, v) ?? S.zerosLike(v));
}

function seedOf(loss: Value): Value {
  if (loss.shape.length !== 0) {
    throw new GraphError('shape', `backward: loss ${loss.name} ${shapeToString(loss.shape)} is not a scalar; pass a seed gradient`);
  }
  return loss.graph.scalar(1, loss.dtype);
}

/** Sums fan-out: every consumer's contribution to one value, added once when it is needed. */
function collect(pending: Map<number, Value[]>, v: Value): Value | null {
  const list = pending.get(v.id);
  if (!list || list.length === 0) return null;
  const total = list.length === 1 ? list[0] : E.sum(list);
  pending.set(v.id, [total]);
  return total;
}

/** Nodes that both depend on some target and feed the loss, in graph (topological) order. */
function nodesOnPath(loss: Value, wrt: readonly Value[]): Node[] {
  const feedsLoss = new Set<number>();
  const stack: Value[] = [loss];
  while (stack.length) {
    const v = stack.pop() as Value;
    const node = v.producer;
    if (!node || feedsLoss.has(node.id)) continue;
    feedsLoss.add(node.id);
    for (const input of node.inputs) if (input) stack.push(input);
  }
  const reached = new Set(wrt.map((v) => v.id));
  const path: Node[] = [];
  for (const node of loss.graph.nodes) {
    if (!node.inputs.some((v) => v && reached.has(v.id))) continue;
    for (const out of node.outputs) reached.add(out.id);
    if (feedsLoss.has(node.id)) path.push(node);
  }
  return path;
}

function checkShape(node: Node, input: Value, grad: Value): void {
  const a = input.shape;
  const b = grad.shape;
  const same = a.length === b.length && a.every((d, i) => d === b[i] || typeof d === 'string' || typeof b[i] === 'string');
  if (!same) {
    throw new GraphError(
      'grad-shape',
      `gradient rule of ${node.op} gave ${shapeToString(b)} for input ${input.name} ${shapeToString(a)}`,
    );
  }
}
