// `ganimation generate`: one already-cropped face under target AUs.
import { GeneratorEngine } from '../infer/generator-engine';
import { parseDevice } from '../infer/providers';
import { parseAus } from './aus-arg';
import type { Command } from './command';
import { readCrop, writeTensorImage } from './crop-io';

export const generateCommand: Command = {
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
    device: { type: 'string', description: 'auto, cpu, cuda, dml, coreml (default auto)', placeholder: 'name' },
  },
  async run({ flags }) {
    const base = flags['base-aus'] ? parseAus(flags['base-aus'] as string) : undefined;
    const aus = parseAus(flags.aus as string, base);
    const engine = await GeneratorEngine.load(flags.model as string, { device: parseDevice((flags.device as string | undefined) ?? 'auto') });
    const size = engine.imageSize;
    const [frame] = await engine.generate(await readCrop(flags.image as string, size), [aus]);
    await writeTensorImage(flags.out as string, frame.composite, size, 'signed');
    if (flags.attention) await writeTensorImage(flags.attention as string, frame.attention, size, 'unit');
    if (flags.color) await writeTensorImage(flags.color as string, frame.color, size, 'signed');
    const fallback = engine.provider.fallbackReason ? ` (fell back: ${engine.provider.fallbackReason})` : '';
    console.log(`${flags.out} written (${size} px, ${engine.provider.used}${fallback})`);
  },
};
