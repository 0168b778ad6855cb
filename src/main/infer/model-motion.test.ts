// A model's motion basis as the engines read it: none (geometry off), a good one, and a corrupt one
// (geometry off, with a message naming the model and the problem).
import { describe, expect, it } from 'vitest';
import { serializeMotionBasis } from '../face/motion-model';
import { serializeMouthInterior } from '../face/mouth-interior';
import { syntheticMouthInterior } from '../face/mouth-interior.fixture';
import { motionOfModel } from './model-motion';

const good = serializeMotionBasis({ linear: new Float32Array(17 * 136), terms: [] });

describe('motionOfModel', () => {
  it('is geometry off without a basis, the basis when it parses, and a named problem when it does not', () => {
    expect(motionOfModel({ motionBasis: null }, 'm.onnx')).toEqual({ basis: null, problem: null, repaintRegion: 'anywhere', mouthInterior: null });
    expect(motionOfModel({ motionBasis: good }, 'm.onnx').basis?.linear.length).toBe(17 * 136);
    const truncated = motionOfModel({ motionBasis: good.slice(0, 100) }, 'm.onnx');
    expect(truncated.basis).toBeNull();
    expect(truncated.problem).toMatch(/^the motion basis of m\.onnx: .*; the model runs without geometry$/);
    const otherOrder = JSON.parse(good);
    otherOrder.auOrder = [...otherOrder.auOrder].reverse();
    expect(motionOfModel({ motionBasis: JSON.stringify(otherOrder) }, 'm.onnx').problem).toMatch(/AU order/i);
    const fewer = JSON.parse(good);
    fewer.landmarkCount = 5;
    expect(motionOfModel({ motionBasis: JSON.stringify(fewer) }, 'm.onnx').problem).toMatch(/landmark/i);
  });

  it('carries a mouth interior with the basis, and runs the warp without it when it is corrupt', () => {
    const mouth = serializeMouthInterior(syntheticMouthInterior());
    const withMouth = motionOfModel({ motionBasis: good, mouthInterior: mouth }, 'm.onnx');
    expect(withMouth.problem).toBeNull();
    expect(withMouth.mouthInterior?.source).toBe('synthetic.jpg');
    const corrupt = motionOfModel({ motionBasis: good, mouthInterior: mouth.slice(0, 50) }, 'm.onnx');
    expect(corrupt.basis).not.toBeNull();
    expect(corrupt.mouthInterior).toBeNull();
    expect(corrupt.problem).toMatch(/^the mouth interior of m\.onnx is not valid JSON; an opened mouth shows the warp's own pixels$/);
    // Without a basis there is no warp to lay it into.
    expect(motionOfModel({ motionBasis: null, mouthInterior: mouth }, 'm.onnx').mouthInterior).toBeNull();
  });
});
