// `ganimation info model.onnx`: prints a model's metadata.
import { readModelInfo } from '../model/model-file';
import { UsageError } from './args';
import { defineCommand } from './command';

export const infoCommand = defineCommand({
  name: 'info',
  summary: "print a model file's metadata",
  usage: 'model.onnx [--json]',
  flags: { json: { type: 'boolean', description: 'print JSON' } },
  async run({ positional, flags }) {
    const [file] = positional;
    if (!file) throw new UsageError('give the model file');
    const info = readModelInfo(file);
    if (flags.json) {
      console.log(JSON.stringify(info, null, 2));
      return;
    }
    const a = info.architecture;
    console.log(`model        ${file}`);
    console.log(`architecture GANimation generator, conv_dim ${a.convDim}, ${a.repeatNum} residual blocks, ${info.imageSize} px`);
    console.log(`AUs          ${info.auOrder.join(' ')}`);
    console.log(`input        ${info.normalization}`);
    console.log(`provenance   ${JSON.stringify(info.provenance)}`);
    if (info.trainingData) console.log(`data         ${info.trainingData}`);
    if (Object.keys(info.metrics).length) console.log(`metrics      ${JSON.stringify(info.metrics)}`);
    if (info.modelCard) console.log(`\n${info.modelCard}`);
  },
});
