// `ganimation eval --model M --data <folder>`: the model's AU control, identity, faithfulness,
// survival and sharpness kept beside the "output = input" baseline, and on a labelled portrait folder
// (tw-expressions) its expression transfer, as tables and as JSON.
import { AU_ORDER, type AuName } from '../../shared/aus';
import sharp from 'sharp';
import { evaluateModel, GOAL_AUS, type EvalReport, type EvalTable } from '../eval/evaluate-model';
import { hasTransferLabels, labelledPhotoPaths, measureTransfer, type TransferReport } from '../eval/expression-transfer';
import { generatorEditor, identityEditor } from '../eval/transfer-editors';
import type { TransferRow } from '../eval/transfer-motion';
import { performersFlag } from './performers-flag';
import type { RgbImage } from '../face';
import { GeneratorEngine } from '../infer/generator-engine';
import { writeFileAtomic } from '../io/atomic-write';
import { UsageError } from './args';
import { defineCommand, endProgressLine, progressLine } from './command';

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
    ['sharpness kept: face detail, output / input', (t) => fmt(t.sharpness)],
  ];
  return ['| measure | model | baseline (output = input) |', '|---|---:|---:|', ...rows.map(([name, f]) => `| ${name} | ${f(model)} | ${f(baseline)} |`)].join('\n');
}

/** The targets whose outputs lost their face, most first (at most `top`), or null when none did. */
export function lostFacesLine(table: EvalTable, top = 12): string | null {
  const lost = Object.entries(table.facesLostBy);
  if (lost.length === 0) return null;
  const shown = lost.slice(0, top).map(([label, n]) => `${label} (${n})`);
  const rest = lost.length > top ? `, and ${lost.length - top} more targets` : '';
  return `Faces lost, by target (outputs whose face the detector no longer finds): ${shown.join(', ')}${rest}.`;
}

/** One column per expression (and all of them), one block of rows per editor. */
function transferTable(report: TransferReport): string {
  const [first] = report.editors;
  const expressions = Object.keys(first.byExpression);
  const columns = (editor: TransferReport['editors'][number]): TransferRow[] => [editor.overall, ...expressions.map((e) => editor.byExpression[e])];
  const measures: [string, (r: TransferRow) => string][] = [
    ['mean cosine of the landmark motion', (r) => fmt(r.meanCosine)],
    ['median error ratio (1 = did nothing)', (r) => fmt(r.medianErrorRatio)],
    ['mean landmark error (inter-ocular units)', (r) => fmt(r.meanErrorIod)],
    ['faces lost', (r) => String(r.facesLost)],
    ['sharpness kept', (r) => fmt(r.meanSharpness)],
  ];
  return [
    `| measure | all | ${expressions.join(' | ')} |`,
    `|---|${'---:|'.repeat(expressions.length + 1)}`,
    `| pairs | ${columns(first).map((r) => r.pairs).join(' | ')} |`,
    ...report.editors.flatMap((editor) => measures.map(([name, f]) => `| ${editor.name}: ${name} | ${columns(editor).map(f).join(' | ')} |`)),
  ].join('\n');
}

/** Which performers of a labelled folder to use, validated against its labels. */
function performersOf(folder: string, spec: string | undefined): Set<string> | undefined {
  return spec === undefined ? undefined : performersFlag(folder, spec, 'performers');
}

/** The model beside "output = input" on each neutral -> posed pair of the folder. */
async function transferOf(engine: GeneratorEngine, folder: string, performers: Set<string> | undefined, pairs: number | undefined): Promise<TransferReport> {
  const editors = [
    { name: 'model', edit: generatorEditor(engine) },
    { name: 'output = input', edit: identityEditor },
  ];
  const report = await measureTransfer(editors, { folder, performers, limit: pairs, onProgress: (done, total) => progressLine(`eval: expression transfer ${done}/${total} pairs`) });
  endProgressLine();
  if (report.pairs === 0) throw new Error(`no neutral -> posed pair in ${folder} to measure expression transfer on`);
  return report;
}

export const evalCommand = defineCommand({
  name: 'eval',
  summary: "measure a model's AU control, identity, faithfulness, survival, sharpness and expression transfer on a folder of photos",
  usage:
    '--model m.onnx --data <folder> [--aligned | --photo] [--limit 50] [-o report.json] [--markdown eval.md] [--sheet faces.png] [--aus AU12,AU26] [--no-presets] [--performers 17-24] [--pairs 100] [--transfer | --transfer-only | --no-transfer]',
  flags: {
    model: { type: 'string', description: 'model file', required: true, placeholder: 'file' },
    data: { type: 'string', description: 'folder of face photos', required: true, placeholder: 'dir' },
    limit: { type: 'number', description: 'photos to use (default 50)' },
    aligned: { type: 'boolean', description: 'the images are aligned face crops (UTKFace): each is the input crop' },
    photo: { type: 'boolean', description: "measure AU control, identity, survival and sharpness on the full photo the studio renders (warp at full resolution, paste-back), not on the model's crop" },
    out: { type: 'string', alias: 'o', description: 'also write the report as JSON', placeholder: 'file' },
    aus: { type: 'string', description: 'comma-separated AUs to drive (default: the 12 of the evaluation)', placeholder: 'list' },
    'no-presets': { type: 'boolean', description: 'skip the emotion-preset targets' },
    sheet: { type: 'string', description: 'write a contact sheet PNG: per face, input | own AUs | each emotion preset', placeholder: 'png' },
    'sheet-faces': { type: 'number', description: 'faces (rows) on the contact sheet (default 8)' },
    markdown: { type: 'string', description: 'also write the table as Markdown (for a model card)', placeholder: 'file' },
    transfer: { type: 'boolean', description: 'measure expression transfer (the default when --data has labels.csv with performer and expression columns)' },
    'transfer-only': { type: 'boolean', description: 'measure expression transfer only, not AU control' },
    'no-transfer': { type: 'boolean', description: 'skip expression transfer on a labelled folder' },
    performers: { type: 'string', description: 'performers of a labelled folder to use, e.g. 17-24 (default: all)', placeholder: 'ids' },
    pairs: { type: 'number', description: 'expression transfer: at most this many neutral -> posed pairs, spread over the performers (default: all)' },
  },
  async run({ flags }) {
    const aus = flags.aus ? flags.aus.split(',').map((a) => a.trim().toUpperCase()) : undefined;
    const unknown = aus?.filter((a) => !(AU_ORDER as readonly string[]).includes(a));
    if (unknown?.length) throw new UsageError(`unknown action units: ${unknown.join(', ')}`);
    const folder = flags.data;
    const labelled = hasTransferLabels(folder);
    const transferOnly = !!flags['transfer-only'];
    if ((flags.transfer || transferOnly || flags.performers !== undefined) && !labelled) {
      throw new UsageError(`--transfer, --transfer-only and --performers need a folder whose labels.csv has performer and expression columns (tw-expressions); ${folder} has none`);
    }
    if (flags.photo && flags.aligned) throw new UsageError('--photo measures the full photo around a detected face; aligned crops (--aligned) have none');
    if (flags['no-transfer'] && (flags.transfer || transferOnly)) throw new UsageError('--no-transfer contradicts --transfer and --transfer-only');
    const { pairs } = flags;
    if (pairs !== undefined && !(Number.isInteger(pairs) && pairs >= 1)) throw new UsageError(`--pairs needs a whole number of at least 1, got ${pairs}`);
    const performers = performersOf(folder, flags.performers);
    const engine = await GeneratorEngine.load(flags.model);
    let control: EvalReport | null = null;
    if (!transferOnly) {
      control = await evaluateModel(engine, {
        folder,
        files: labelled ? labelledPhotoPaths(folder, performers) : undefined,
        limit: flags.limit ?? 50,
        aus: aus as AuName[] | undefined,
        presets: !flags['no-presets'],
        aligned: !!flags.aligned,
        photo: !!flags.photo,
        sheetFaces: flags.sheet ? (flags['sheet-faces'] ?? 8) : 0,
        onProgress: (done, total) => progressLine(`eval: ${done}/${total} photos`),
      });
      endProgressLine();
      if (control.faces === 0) throw new Error(`no usable face in ${folder}`);
    }
    const transfer = labelled && !flags['no-transfer'] ? await transferOf(engine, folder, performers, pairs) : null;
    const sections: string[] = [];
    const whose = performers ? ` (performer${performers.size > 1 ? 's' : ''} ${[...performers].sort().join(', ')})` : '';
    if (control) {
      const lost = lostFacesLine(control.model);
      sections.push(`Measured with \`ganimation eval\` on ${control.faces} faces of ${folder}${whose} (${control.skipped.length} photos skipped), ${flags.photo ? 'each output measured as the full photo the studio renders' : "each output measured as the model's crop"}.\n\n${table(control.model, control.baseline)}${lost ? `\n\n${lost}` : ''}`);
    }
    if (transfer) {
      const who = `performer${transfer.performers.length > 1 ? 's' : ''} ${transfer.performers.join(', ')}`;
      sections.push(`Expression transfer on ${transfer.pairs} neutral -> posed pairs of ${who} (${transfer.skipped.length} photos or pairs skipped).\n\n${transferTable(transfer)}`);
    }
    const text = sections.join('\n\n');
    console.log(text);
    const { sheet, ...json } = control ?? {};
    if (flags.out) writeFileAtomic(flags.out, Buffer.from(JSON.stringify({ ...json, ...(transfer ? { transfer } : {}) }, null, 1)));
    if (flags.markdown) writeFileAtomic(flags.markdown, Buffer.from(`${text}\n`));
    if (flags.sheet && sheet) writeFileAtomic(flags.sheet, await contactSheet(sheet));
  },
});

/** Rows of equal-size crops tiled into one PNG. */
async function contactSheet(rows: RgbImage[][]): Promise<Buffer> {
  const size = rows[0][0].width;
  const columns = Math.max(...rows.map((r) => r.length));
  const tiles = rows.flatMap((row, y) => row.map((tile, x) => ({ input: Buffer.from(tile.data), raw: { width: size, height: size, channels: 3 as const }, left: x * size, top: y * size })));
  // A palette PNG: a sheet is for looking at, and stays small enough to keep beside the docs.
  return sharp({ create: { width: columns * size, height: rows.length * size, channels: 3, background: '#15161a' } }).composite(tiles).png({ palette: true, quality: 90, compressionLevel: 9 }).toBuffer();
}
