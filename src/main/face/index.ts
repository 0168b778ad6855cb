// The face pipeline's public surface: decode, detect, estimate AUs, crop, paste back.
export { decodeImage, encodeImage, MAX_MEGAPIXELS, type RgbImage } from './image-io';
export { boxFlags, detectFaces, faceDescriptor, MIN_FACE_SIZE, EXPRESSIONS, type Face, type Box, type Expression } from './detector';
export { estimateAus } from './au-estimator';
export { cropFace, cropTransform, cropToPhoto, photoToCrop, rgbToTensor, tensorToRgb, type CropTransform, type CropOptions } from './crop';
export { alignedCrop, detectInAlignedCrop } from './aligned';
export { pasteBack, planPaste, applyPaste, FEATHER, type FaceLayer, type PastePlan } from './paste-back';
export { PasteKernel, type CropOutput } from './paste-kernel';
export { parseOpenFaceCsv, type OpenFaceRow } from '../../shared/openface-csv';
export { FACE_MESH, CANONICAL_FACE, RING_INSET, MIN_AREA_FRACTION, meshPointsInPhoto, meshPointsInCrop, checkWarpPoints, foldGuard, scaleDisplacement, type WarpMesh, type FoldGuard } from './mesh';
export { warpPhoto, warpTable, applyWarpTable, meshBounds, type WarpRect, type WarpRegion, type WarpTable } from './mesh-warp';
export { faceFrameOf, toFaceFrame, fromFaceFrame, fitSimilarity, applySimilarity, alignLandmarks, STABLE_POINTS, MOBILE_POINTS, type FaceFrame, type Similarity } from './face-frame';
export { displacementFor, moveLandmarks, serializeMotionBasis, parseMotionBasis, type MotionBasis } from './motion-model';
