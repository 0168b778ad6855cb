// `ganimation generate`: one already-cropped face under target AUs.
import { GeneratorEngine } from '../infer/generator-engine';
import { parseAus } from './aus-arg';
import { defineCommand } from './command';
import { readCrop, writeTensorImage } from './crop-io';
import { deviceFlag } from './device-flag';

export const generateCommand = defineCommand({
  name: 'generate',
  summary: 'change the expression of an already-cropped face',
  usage: '--model model.onnx --image crop.png --aus AU12=0.8,AU06=0.5 -o out.png',
  flags: {
    model: { type: 'string', description: 'model file (.onnx)', required: true, placeholder: 'file' },
    image: { type: 'string', description: 'face crop (any size; resized to the model size)', required: true, placeholder: 'file' },
    aus: { type: 'string', description: 'target AUs, e.g. AU12=0.8,AU06=0.5 (others 0, or --base-aus)', required: true, placeholder: 'list' },
    'base-aus': { type: 'string', description: 'AU values for the AUs --aus leaves out', placeholder: 'list' },
    out: { type: 'string', alias: 'o', description: 'output image', required: true, placeholder: 'file' },
    attention: { type: 'string', description: 'also write the attention mask (white keeps the input)', placeholder: 'file' },
    color: { type: 'string', description: 'also write the color output', placeholder: 'file' },
    device: deviceFlag,
  },
  async run({ flags }) {
    const base = flags['base-aus'] ? parseAus(flags['base-aus']) : undefined;
    const aus = parseAus(flags.aus, base);
    const engine = await GeneratorEngine.load(flags.model, { device: flags.device ?? 'auto' });
    const size = engine.imageSize;
    const [frame] = await engine.generate(await readCrop(flags.image, size), [aus]);
    await writeTensorImage(flags.out, frame.composite, size, 'signed');
    if (flags.attention) await writeTensorImage(flags.attention, frame.attention, size, 'unit');
    if (flags.color) await writeTensorImage(flags.color, frame.color, size, 'signed');
    const fallback = engine.provider.fallbackReason ? ` (fell back: ${engine.provider.fallbackReason})` : '';
    console.log(`${flags.out} written (${size} px, ${engine.provider.used}${fallback})`);
  },
});
