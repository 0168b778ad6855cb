// The graph compiler's public surface: IR, op builders, autodiff and ONNX export.
export * from './ir';
export * from './ops-elementwise';
export * from './ops-shape';
export * from './ops-gather';
export * from './ops-nn';
export * from './emission';
export { backward, hasGradRule, type BackwardOptions } from './autodiff';
export { toOnnx, toModelProto, OPSET, IR_VERSION, type ExportOptions } from './to-onnx';
