// `ganimation edit`: changes the expression of one or all faces in a full photo and writes the
// full-resolution result.
import { emotionAus, EMOTIONS, isEmotion } from '../../shared/emotions';
import { decodeImage, detectFaces, encodeImage, estimateAus } from '../face';
import { GeneratorEngine } from '../infer/generator-engine';
import { parseDevice } from '../infer/providers';
import { geometryOf } from '../render/motion-geometry';
import { Scene } from '../render/scene';
import { UsageError } from './args';
import { parseAus } from './aus-arg';
import type { Command } from './command';
import { defaultModelPath } from './default-model';

export const editCommand: Command = {
  name: 'edit',
  summary: 'change the expression of faces in a photo',
  usage: 'photo.jpg (--aus AU12=0.8,... | --preset happy [--intensity 0.7]) [--face N|all] [--model M] -o out.jpg',
  flags: {
    out: { type: 'string', alias: 'o', description: 'output image (.jpg, .png, .webp)', required: true, placeholder: 'file' },
    aus: { type: 'string', description: "AUs to set, e.g. AU12=0.8 (others keep the face's own values)", placeholder: 'list' },
    preset: { type: 'string', description: `emotion preset: ${EMOTIONS.join(', ')}`, placeholder: 'name' },
    intensity: { type: 'number', description: 'preset intensity in [0, 1] (default 1)' },
    face: { type: 'string', description: 'face id from `analyze`, or all (default all)', placeholder: 'N|all' },
    model: { type: 'string', description: 'model file (default: the bundled model)', placeholder: 'file' },
    device: { type: 'string', description: 'auto, cpu, cuda, dml, coreml (default auto)', placeholder: 'name' },
  },
  async run({ positional, flags }) {
    const [file] = positional;
    if (!file) throw new UsageError('give the photo');
    if (!flags.aus === !flags.preset) throw new UsageError('give exactly one of --aus or --preset');
    if (flags.preset && !isEmotion(flags.preset as string)) throw new UsageError(`unknown preset "${flags.preset}"; valid: ${EMOTIONS.join(', ')}`);
    const engine = await GeneratorEngine.load((flags.model as string | undefined) ?? defaultModelPath(), { device: parseDevice((flags.device as string | undefined) ?? 'auto') });
    const photo = await decodeImage(file);
    const faces = await detectFaces(photo);
    if (faces.length === 0) throw new Error(`no face found in ${file}`);
    const which = (flags.face as string | undefined) ?? 'all';
    const chosen = which === 'all' ? faces : faces.filter((f) => String(f.id) === which);
    if (chosen.length === 0) throw new UsageError(`--face ${which}: the photo has faces ${faces.map((f) => f.id).join(', ')}`);
    const preset = flags.preset as (typeof EMOTIONS)[number] | undefined;
    const requests = chosen.map((face) => ({
      faceId: face.id,
      aus: preset ? Float32Array.from(emotionAus(preset, (flags.intensity as number | undefined) ?? 1)) : parseAus(flags.aus as string, estimateAus(face)),
    }));
    // The scene the studio previews and exports through, so an edited photo is one of their frames.
    if (engine.motion.problem) console.warn(`warning: ${engine.motion.problem}`);
    const geometry = geometryOf(engine, (faceId, why) => console.warn(`warning: face ${faceId} is not warped: ${why}`));
    const scene = new Scene(photo, chosen.map((f) => ({ ...f, sourceAus: estimateAus(f) })), engine.imageSize, geometry);
    const frame = scene.render(await scene.generateFaces(engine, requests));
    await encodeImage({ width: photo.width, height: photo.height, data: frame }, flags.out as string);
    console.log(`${flags.out}: ${requests.length} face(s) edited`);
  },
};
