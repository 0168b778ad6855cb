// `ganimation import-pth <checkpoint.pth> -o model.onnx`: an original GANimation checkpoint to a studio model.
import path from 'node:path';
import { exportGeneratorModel, writeFileAtomic } from '../model/model-file';
import { importPthStateDict, inferGeneratorArch } from '../model/pth/import-pth';
import { UsageError } from './args';
import { defineCommand } from './command';

export const importPthCommand = defineCommand({
  name: 'import-pth',
  summary: 'convert an original GANimation generator checkpoint (.pth) to a model file',
  usage: '<net_epoch_N_id_G.pth> -o model.onnx [--image-size 128]',
  flags: {
    out: { type: 'string', alias: 'o', description: 'output .onnx path', required: true, placeholder: 'file' },
    'image-size': { type: 'number', description: 'crop size the checkpoint was trained at (default 128)' },
  },
  async run({ positional, flags }) {
    const [file] = positional;
    if (!file) throw new UsageError('give the checkpoint to import');
    const { tensors, dropped } = importPthStateDict(file);
    const cfg = inferGeneratorArch(tensors, flags['image-size'] ?? 128);
    const weights = new Map([...tensors].map(([k, t]) => [k, t.data]));
    const bytes = exportGeneratorModel(weights, cfg, { provenance: { importedFrom: path.basename(file) } });
    writeFileAtomic(flags.out, bytes);
    console.log(`${flags.out}: conv_dim ${cfg.convDim}, ${cfg.repeatNum} residual blocks, ${cfg.imageSize} px (ignored ${dropped.length} running statistics)`);
  },
});
