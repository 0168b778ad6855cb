// `ganimation eval --model M --data <folder>`: the model's AU control, identity, faithfulness and
// survival beside the "output = input" baseline, as a table and as JSON.
import { AU_ORDER, type AuName } from '../../shared/aus';
import sharp from 'sharp';
import { evaluateModel, GOAL_AUS, type EvalTable } from '../eval/evaluate-model';
import type { RgbImage } from '../face';
import { GeneratorEngine } from '../infer/generator-engine';
import { writeFileAtomic } from '../io/atomic-write';
import { UsageError } from './args';
import { endProgressLine, progressLine, type Command } from './command';

const fmt = (v: number, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : '—');

function table(model: EvalTable, baseline: EvalTable): string {
  const rows: [string, (t: EvalTable) => string][] = [
    ['AU control: mean Pearson r', (t) => fmt(t.meanR)],
    [`AU control: mean r over ${GOAL_AUS.join(' ')}`, (t) => fmt(t.goalMeanR)],
    ...Object.keys(model.auR).map((au): [string, (t: EvalTable) => string] => [`  r ${au}`, (t) => fmt(t.auR[au])]),
    ['AU control: mean abs error', (t) => fmt(t.auMae)],
    ['identity: mean descriptor distance', (t) => fmt(t.identityMean)],
    ['identity: share under 0.6', (t) => fmt(t.identityUnder06)],
    ['faithfulness: crop error (0-255)', (t) => fmt(t.faithfulnessError, 2)],
    ['mean attention', (t) => fmt(t.meanAttention)],
    ['survival: face still detected', (t) => fmt(t.survival)],
  ];
  return ['| measure | model | baseline (output = input) |', '|---|---:|---:|', ...rows.map(([name, f]) => `| ${name} | ${f(model)} | ${f(baseline)} |`)].join('\n');
}

export const evalCommand: Command = {
  name: 'eval',
  summary: "measure a model's AU control, identity, faithfulness and survival on a folder of photos",
  usage: '--model m.onnx --data <folder> [--aligned] [--limit 50] [-o report.json] [--markdown eval.md] [--sheet faces.png] [--aus AU12,AU26] [--no-presets]',
  flags: {
    model: { type: 'string', description: 'model file', required: true, placeholder: 'file' },
    data: { type: 'string', description: 'folder of face photos', required: true, placeholder: 'dir' },
    limit: { type: 'number', description: 'photos to use (default 50)' },
    aligned: { type: 'boolean', description: 'the images are aligned face crops (UTKFace): each is the input crop' },
    out: { type: 'string', alias: 'o', description: 'also write the report as JSON', placeholder: 'file' },
    aus: { type: 'string', description: 'comma-separated AUs to drive (default: the 12 of the evaluation)', placeholder: 'list' },
    'no-presets': { type: 'boolean', description: 'skip the emotion-preset targets' },
    sheet: { type: 'string', description: 'write a contact sheet PNG: per face, input | own AUs | each emotion preset', placeholder: 'png' },
    'sheet-faces': { type: 'number', description: 'faces (rows) on the contact sheet (default 8)' },
    markdown: { type: 'string', description: 'also write the table as Markdown (for a model card)', placeholder: 'file' },
  },
  async run({ flags }) {
    const aus = flags.aus ? (flags.aus as string).split(',').map((a) => a.trim().toUpperCase()) : undefined;
    const unknown = aus?.filter((a) => !(AU_ORDER as readonly string[]).includes(a));
    if (unknown?.length) throw new UsageError(`unknown action units: ${unknown.join(', ')}`);
    const engine = await GeneratorEngine.load(flags.model as string);
    const report = await evaluateModel(engine, {
      folder: flags.data as string,
      limit: (flags.limit as number | undefined) ?? 50,
      aus: aus as AuName[] | undefined,
      presets: !flags['no-presets'],
      aligned: !!flags.aligned,
      sheetFaces: flags.sheet ? ((flags['sheet-faces'] as number | undefined) ?? 8) : 0,
      onProgress: (done, total) => progressLine(`eval: ${done}/${total} photos`),
    });
    endProgressLine();
    if (report.faces === 0) throw new Error(`no usable face in ${flags.data}`);
    console.log(`${report.faces} faces (${report.skipped.length} photos skipped)\n`);
    const text = table(report.model, report.baseline);
    console.log(text);
    const { sheet, ...json } = report;
    if (flags.out) writeFileAtomic(flags.out as string, Buffer.from(JSON.stringify(json, null, 1)));
    if (flags.markdown) writeFileAtomic(flags.markdown as string, Buffer.from(`Measured with \`ganimation eval\` on ${report.faces} faces of ${flags.data}.\n\n${text}\n`));
    if (flags.sheet && sheet) writeFileAtomic(flags.sheet as string, await contactSheet(sheet));
  },
};

/** Rows of equal-size crops tiled into one PNG. */
async function contactSheet(rows: RgbImage[][]): Promise<Buffer> {
  const size = rows[0][0].width;
  const columns = Math.max(...rows.map((r) => r.length));
  const tiles = rows.flatMap((row, y) => row.map((tile, x) => ({ input: Buffer.from(tile.data), raw: { width: size, height: size, channels: 3 as const }, left: x * size, top: y * size })));
  // A palette PNG: a sheet is for looking at, and stays small enough to keep beside the docs.
  return sharp({ create: { width: columns * size, height: rows.length * size, channels: 3, background: '#15161a' } }).composite(tiles).png({ palette: true, quality: 90, compressionLevel: 9 }).toBuffer();
}
