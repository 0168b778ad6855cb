// `ganimation edit`: changes the expression of one or all faces in a full photo and writes the
// full-resolution result.
import { emotionAus, EMOTIONS } from '../../shared/emotions';
import { decodeImage, detectFaces, encodeImage, estimateAus } from '../face';
import { GeneratorEngine } from '../infer/generator-engine';
import { geometryOf } from '../render/motion-geometry';
import { Scene } from '../render/scene';
import { UsageError } from './args';
import { parseAus } from './aus-arg';
import { defineCommand } from './command';
import { defaultModelPath } from './default-model';
import { deviceFlag } from './device-flag';

export const editCommand = defineCommand({
  name: 'edit',
  summary: 'change the expression of faces in a photo',
  usage: 'photo.jpg (--aus AU12=0.8,... | --preset happy [--intensity 0.7]) [--face N|all] [--model M] -o out.jpg',
  flags: {
    out: { type: 'string', alias: 'o', description: 'output image (.jpg, .png, .webp)', required: true, placeholder: 'file' },
    aus: { type: 'string', description: "AUs to set, e.g. AU12=0.8 (others keep the face's own values)", placeholder: 'list' },
    preset: { type: 'string', choices: EMOTIONS, description: 'emotion preset' },
    intensity: { type: 'number', description: "preset intensity in [0, 1]: how far from the face's own expression toward the emotion (default 1)" },
    face: { type: 'string', description: 'face id from `analyze`, or all (default all)', placeholder: 'N|all' },
    model: { type: 'string', description: 'model file (default: the bundled model)', placeholder: 'file' },
    device: deviceFlag,
  },
  async run({ positional, flags }) {
    const [file] = positional;
    if (!file) throw new UsageError('give the photo');
    const { preset, aus } = flags;
    const target = preset ? { preset } : aus ? { aus } : null;
    if (!target || (preset && aus)) throw new UsageError('give exactly one of --aus or --preset');
    const engine = await GeneratorEngine.load(flags.model ?? defaultModelPath(), { device: flags.device ?? 'auto' });
    const photo = await decodeImage(file);
    const faces = await detectFaces(photo);
    if (faces.length === 0) throw new Error(`no face found in ${file}`);
    const which = flags.face ?? 'all';
    const chosen = which === 'all' ? faces : faces.filter((f) => String(f.id) === which);
    if (chosen.length === 0) throw new UsageError(`--face ${which}: the photo has faces ${faces.map((f) => f.id).join(', ')}`);
    const withAus = chosen.map((face) => ({ ...face, sourceAus: estimateAus(face) }));
    // A preset starts from each face's own expression, as the studio's do.
    const requests = withAus.map((face) => ({
      faceId: face.id,
      aus: target.preset ? Float32Array.from(emotionAus(target.preset, flags.intensity ?? 1, face.sourceAus)) : parseAus(target.aus, face.sourceAus),
    }));
    // The scene the studio previews and exports through, so an edited photo is one of their frames.
    if (engine.motion.problem) console.warn(`warning: ${engine.motion.problem}`);
    const geometry = geometryOf(engine, (faceId, why) => console.warn(`warning: face ${faceId} is not warped: ${why}`));
    const scene = new Scene(photo, withAus, engine.imageSize, geometry);
    const frame = scene.render(await scene.generateFaces(engine, requests));
    await encodeImage({ width: photo.width, height: photo.height, data: frame }, flags.out);
    console.log(`${flags.out}: ${requests.length} face(s) edited`);
  },
});
