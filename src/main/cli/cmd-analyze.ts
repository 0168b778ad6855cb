// `ganimation analyze photo.jpg`: faces and their estimated AUs as JSON (an empty list when there is none).
import { AU_ORDER } from '../../shared/aus';
import { decodeImage, detectFaces, estimateAus } from '../face';
import { UsageError } from './args';
import type { Command } from './command';

const round = (v: number) => Math.round(v * 1000) / 1000;

export const analyzeCommand: Command = {
  name: 'analyze',
  summary: 'find the faces in a photo and estimate their action units (JSON)',
  usage: 'photo.jpg',
  flags: {},
  async run({ positional }) {
    const [file] = positional;
    if (!file) throw new UsageError('give the photo');
    const photo = await decodeImage(file);
    const faces = await detectFaces(photo);
    const out = {
      photo: { file, width: photo.width, height: photo.height },
      faces: faces.map((f) => ({
        id: f.id,
        box: { x: round(f.box.x), y: round(f.box.y), width: round(f.box.width), height: round(f.box.height) },
        score: round(f.score),
        tooSmall: f.tooSmall,
        cutByBorder: f.cutByBorder,
        aus: Object.fromEntries(Array.from(estimateAus(f), (v, i) => [AU_ORDER[i], round(v)])),
        expressions: Object.fromEntries(Object.entries(f.expressions).map(([k, v]) => [k, round(v)])),
        landmarks: f.landmarks.map(([x, y]) => [round(x), round(y)]),
      })),
    };
    console.log(JSON.stringify(out, null, 2));
  },
};
