// The real `ganimation` command, spawned as a user would run it: import, info, generate, training
// on a few real faces, exit codes and usage errors.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { AU_ORDER } from '../../shared/aus';
import type { KeyframeId } from '../../shared/timeline/model';

const ROOT = path.resolve(__dirname, '../../..');
const SHARED = path.resolve(ROOT, '../shared');
const TINY = path.join(SHARED, 'fixtures/ganimation-tiny');
const FACES = path.join(SHARED, 'data/utkface/images');
const have = fs.existsSync(TINY) && fs.existsSync(FACES);
if (!have) console.warn(`skipping CLI end-to-end tests: ${SHARED} not found`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-cli-'));
const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin/ganimation.mjs'), ...args], { encoding: 'utf8', cwd: tmp, timeout: 240_000, env: { ...process.env, HOME: tmp } });
const someFaces = () => fs.readdirSync(FACES).filter((f) => f.endsWith('.jpg')).sort().slice(0, 6);

describe('ganimation CLI', () => {
  it('prints help and refuses unknown commands and options with exit code 2', () => {
    expect(cli('--help').status).toBe(0);
    const bad = cli('frobnicate');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown command "frobnicate"/);
    const flag = cli('info', '--nope');
    expect(flag.status).toBe(2);
    expect(flag.stderr).toMatch(/unknown option --nope/);
  });

  it.skipIf(!have)('imports an original checkpoint, describes it and generates a face', () => {
    const model = path.join(tmp, 'imported.onnx');
    const imported = cli('import-pth', path.join(TINY, 'net_epoch_30_id_G-legacy.pth'), '-o', model, '--image-size', '32');
    expect(imported.status, imported.stderr).toBe(0);
    const info = cli('info', model);
    expect(info.stdout).toMatch(/conv_dim 8, 2 residual blocks, 32 px/);
    expect(info.stdout).toMatch(/net_epoch_30_id_G-legacy\.pth/);
    const out = path.join(tmp, 'smile.png');
    const gen = cli('generate', '--model', model, '--image', path.join(FACES, someFaces()[0]), '--aus', 'AU12=0.8,AU6=0.5', '-o', out, '--attention', path.join(tmp, 'a.png'));
    expect(gen.status, gen.stderr).toBe(0);
    expect(fs.statSync(out).size).toBeGreaterThan(100);
    expect(fs.existsSync(path.join(tmp, 'a.png'))).toBe(true);
    const badAu = cli('generate', '--model', model, '--image', path.join(FACES, someFaces()[0]), '--aus', 'AU99=0.5', '-o', out);
    expect(badAu.status).toBe(2);
    expect(badAu.stderr).toMatch(/unknown action unit "AU99"/);
    const notModel = cli('info', path.join(TINY, 'config.json'));
    expect(notModel.status).toBe(1);
    expect(notModel.stderr).toMatch(/config\.json is not an ONNX model/);
  });

  it('makes a geometry-only model from the bundled motion basis, describes its geometry, and edits a photo with it', () => {
    const model = path.join(tmp, 'geometry.onnx');
    const evaluation = path.join(tmp, 'eval.md');
    fs.writeFileSync(evaluation, '| measure | model |\n|---|---:|\n| identity | 0.2 |\n');
    const missing = cli('geometry-model', '--motion', path.join(ROOT, 'resources/motion/tw-expressions-01-16.json'), '--evaluation', path.join(tmp, 'nope.md'), '-o', model);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--evaluation: cannot read .*nope\.md/);
    expect(fs.existsSync(model)).toBe(false);
    const made = cli('geometry-model', '--motion', path.join(ROOT, 'resources/motion/tw-expressions-01-16.json'), '--restrictions', 'research use only', '--evaluation', evaluation, '-o', model);
    expect(made.status, made.stderr).toBe(0);
    const info = cli('info', model);
    expect(info.stdout).toMatch(/architecture residual, conv_dim 32, 4 residual blocks, 96 px/);
    expect(info.stdout).toMatch(/geometry +landmark motion basis, fitted on performers 01 /);
    expect(info.stdout).toMatch(/Held out one performer at a time: landmark motion cosine 0\.\d{3}/);
    expect(info.stdout).toMatch(/Use restrictions: research use only/);
    expect(info.stdout).toMatch(/## Evaluation\s+\| measure \| model \|/);
    const plain = cli('geometry-model', '--motion', path.join(ROOT, 'resources/motion/tw-expressions-01-16.json'), '--preset', 'light', '-o', model);
    expect(plain.status).toBe(2);
    expect(plain.stderr).toMatch(/does not start as the identity/);
    const portrait = path.join(ROOT, 'resources/samples/portrait.jpg');
    const out = path.join(tmp, 'surprised.png');
    const edited = cli('edit', portrait, '--preset', 'surprised', '--model', model, '-o', out);
    expect(edited.status, edited.stderr).toBe(0);
    expect(fs.statSync(out).size).toBeGreaterThan(1000);
  });

  it.skipIf(!have)('takes a geometry model\'s mouth interior from a photo of an open mouth, and refuses a closed one', () => {
    const images = path.join(SHARED, 'data/tw-expressions/images');
    const basis = path.join(ROOT, 'resources/motion/tw-expressions-01-16.json');
    const model = path.join(tmp, 'teeth.onnx');
    const closed = cli('geometry-model', '--motion', basis, '--mouth-from', path.join(images, '0101a02.jpg'), '-o', model);
    expect(closed.status).toBe(1);
    expect(closed.stderr).toMatch(/0101a02\.jpg: its mouth is not open/);
    expect(fs.existsSync(model)).toBe(false);
    const made = cli('geometry-model', '--motion', basis, '--mouth-from', path.join(images, '0811b10.jpg'), '-o', model);
    expect(made.status, made.stderr).toBe(0);
    const info = cli('info', model);
    expect(info.stdout).toMatch(/mouth +interior from tw-expressions\/images\/0811b10\.jpg \(\d+x\d+ px\)/);
    expect(info.stdout).toMatch(/Mouth interior: taken from tw-expressions\/images\/0811b10\.jpg/);
    expect(info.stdout).toMatch(/repaints +wherever its attention opens/);
    const gated = path.join(tmp, 'gated.onnx');
    expect(cli('geometry-model', '--motion', basis, '--mouth-from', path.join(images, '0811b10.jpg'), '--repaint', 'mouth-opening', '-o', gated).status).toBe(0);
    const gatedInfo = cli('info', gated).stdout;
    expect(gatedInfo).toMatch(/repaints +only inside a mouth the warp opens/);
    expect(gatedInfo).toMatch(/Repaint region: the mouth opening/);
    const out = path.join(tmp, 'jaw.png');
    const edited = cli('edit', path.join(images, '0101a02.jpg'), '--aus', 'AU25=1,AU26=0.8', '--model', model, '-o', out);
    expect(edited.status, edited.stderr).toBe(0);
  });

  it.skipIf(!have)('analyzes a portrait and edits its face at full resolution; a photo without a face fails clearly', () => {
    const portrait = path.join(SHARED, 'data/tw-expressions/images/0101a02.jpg');
    const analyzed = cli('analyze', portrait);
    expect(analyzed.status, analyzed.stderr).toBe(0);
    const report = JSON.parse(analyzed.stdout);
    expect(report.faces.length).toBe(1);
    expect(Object.keys(report.faces[0].aus)).toEqual([...AU_ORDER]);
    const model = path.join(tmp, 'edit-model.onnx');
    expect(cli('import-pth', path.join(TINY, 'net_epoch_30_id_G.pth'), '-o', model, '--image-size', '32').status).toBe(0);
    const out = path.join(tmp, 'edited.png');
    const edited = cli('edit', portrait, '--preset', 'happy', '--intensity', '0.7', '--model', model, '-o', out);
    expect(edited.status, edited.stderr).toBe(0);
    expect(edited.stdout).toMatch(/1 face\(s\) edited/);
    const blank = path.join(tmp, 'blank.png');
    fs.writeFileSync(blank, Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8ffff3f0005fe02fea7d6a4b40000000049454e44ae426082', 'hex'));
    const none = cli('edit', blank, '--preset', 'happy', '--model', model, '-o', path.join(tmp, 'x.png'));
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/no face found in .*blank\.png/);
    const empty = cli('analyze', blank);
    expect(JSON.parse(empty.stdout).faces).toEqual([]);
  });

  it.skipIf(!have)('renders a project to MP4 with a progress line, and refuses a broken project clearly', async () => {
    const { newProject } = await import('../project/new-project');
    const { saveProject } = await import('../project/project-file');
    const photo = path.join(tmp, 'render-portrait.jpg');
    fs.copyFileSync(path.join(SHARED, 'data/tw-expressions/images/0101a02.jpg'), photo);
    const projectFile = path.join(tmp, 'render.json');
    const project = await newProject(photo, projectFile);
    const tracks = { AU12: [{ id: 'a' as KeyframeId, time: 0, value: 0, easing: 'linear' as const }, { id: 'b' as KeyframeId, time: 1, value: 1, easing: 'linear' as const }] };
    saveProject(projectFile, { ...project, duration: 1, fps: 12, faces: project.faces.map((f) => ({ ...f, tracks })) });
    const model = path.join(tmp, 'render-model.onnx');
    expect(cli('import-pth', path.join(TINY, 'net_epoch_30_id_G.pth'), '-o', model, '--image-size', '32').status).toBe(0);
    const out = path.join(tmp, 'render.mp4');
    const rendered = cli('render', projectFile, '-o', out, '--model', model);
    expect(rendered.status, rendered.stderr).toBe(0);
    expect(rendered.stderr).toMatch(/rendering: frame 12\/12/);
    expect(rendered.stdout).toMatch(/12 frames/);
    expect(fs.statSync(out).size).toBeGreaterThan(1000);
    fs.writeFileSync(path.join(tmp, 'broken.json'), '{"schemaVersion": 2, "photo": 5}');
    const broken = cli('render', path.join(tmp, 'broken.json'), '-o', path.join(tmp, 'x.mp4'), '--model', model);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/broken\.json: photo: /);
    const noFolder = cli('render', projectFile, '-o', path.join(tmp, 'missing-folder', 'x.mp4'), '--model', model);
    expect(noFolder.status).toBe(1);
    expect(noFolder.stderr).toMatch(/folder .*missing-folder does not exist/);
    // A sound track ffmpeg finds no audio in is refused before rendering, by name.
    const noSound = cli('render', projectFile, '-o', path.join(tmp, 'y.mp4'), '--model', model, '--audio', path.join(tmp, 'broken.json'));
    expect(noSound.status).toBe(1);
    expect(noSound.stderr).toMatch(/broken\.json has no audio track that ffmpeg can read/);
    expect(fs.existsSync(path.join(tmp, 'y.mp4'))).toBe(false);
  });

  it.skipIf(!have)('evaluates a model beside the output = input baseline and writes JSON, Markdown and a contact sheet', async () => {
    const folder = path.join(tmp, 'eval-faces');
    fs.mkdirSync(folder);
    fs.copyFileSync(path.join(SHARED, 'data/tw-expressions/images/0101a02.jpg'), path.join(folder, 'face.jpg'));
    const model = path.join(tmp, 'eval-model.onnx');
    expect(cli('import-pth', path.join(TINY, 'net_epoch_30_id_G.pth'), '-o', model, '--image-size', '32').status).toBe(0);
    const report = path.join(tmp, 'eval.json');
    const sheet = path.join(tmp, 'eval-sheet.png');
    const markdown = path.join(tmp, 'eval.md');
    const run = cli('eval', '--model', model, '--data', folder, '--aus', 'AU12', '-o', report, '--sheet', sheet, '--markdown', markdown);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\| survival: face still detected \| [\d.—]+ \| 1\.000 \|/);
    // One row: input, own-AU reconstruction and the 8 emotion presets, 32 px each.
    await expect(sharp(sheet).metadata()).resolves.toMatchObject({ width: 320, height: 32 });
    expect(fs.readFileSync(markdown, 'utf8')).toMatch(/^Measured with `ganimation eval` on 1 faces[\s\S]*\| AU control: mean r over AU01/);
    const json = JSON.parse(fs.readFileSync(report, 'utf8'));
    expect(json.faces).toBe(1);
    expect(json.baseline.identityMean).toBe(0);
    expect(cli('eval', '--model', model, '--data', folder, '--aus', 'AU99').stderr).toMatch(/unknown action units: AU99/);
  });

  it.skipIf(!have)("names the performers an evaluation of a labelled folder used in its Markdown", () => {
    const folder = path.join(tmp, 'eval-labelled');
    fs.mkdirSync(path.join(folder, 'images'), { recursive: true });
    fs.copyFileSync(path.join(SHARED, 'data/tw-expressions/images/0101a02.jpg'), path.join(folder, 'images/0101a02.jpg'));
    fs.copyFileSync(path.join(SHARED, 'data/tw-expressions/images/0201a09.jpg'), path.join(folder, 'images/0201a09.jpg'));
    fs.writeFileSync(path.join(folder, 'labels.csv'), 'file,performer,expression\n0101a02.jpg,01,neutral\n0201a09.jpg,02,neutral\n');
    const model = path.join(tmp, 'eval-labelled.onnx');
    expect(cli('import-pth', path.join(TINY, 'net_epoch_30_id_G.pth'), '-o', model, '--image-size', '32').status).toBe(0);
    const markdown = path.join(tmp, 'eval-labelled.md');
    const run = cli('eval', '--model', model, '--data', folder, '--performers', '02', '--aus', 'AU12', '--no-presets', '--no-transfer', '--markdown', markdown);
    expect(run.status, run.stderr).toBe(0);
    expect(fs.readFileSync(markdown, 'utf8')).toMatch(/^Measured with `ganimation eval` on 1 faces of \S+ \(performer 02\) \(0 photos skipped\)/);
  });

  it.skipIf(!have)('trains the tiny preset on a few real faces and exports a usable model', () => {
    const data = path.join(tmp, 'faces');
    fs.mkdirSync(data);
    const files = someFaces();
    for (const f of files) fs.copyFileSync(path.join(FACES, f), path.join(data, f));
    fs.writeFileSync(path.join(data, 'broken.jpg'), 'not a jpeg');
    const header = `file,${AU_ORDER.map((a) => `${a}_r`).join(',')}`;
    const rows = [...files, 'broken.jpg'].map((f, i) => `${f},${AU_ORDER.map((_, k) => ((i + k) % 5)).join(',')}`);
    fs.writeFileSync(path.join(tmp, 'aus.csv'), [header, ...rows].join('\n'));
    const run = path.join(tmp, 'run');
    const train = cli('train', '--data', data, '--out', run, '--aligned', '--labels', path.join(tmp, 'aus.csv'), '--from-scratch', '--preset', 'tiny', '--steps', '4', '--batch', '2', '--validation-fraction', '0');
    expect(train.status, train.stderr).toBe(0);
    expect(train.stdout).toMatch(/skipped broken\.jpg: corrupt/);
    expect(train.stdout).toMatch(/done: 4 steps/);
    const info = cli('info', path.join(run, 'model.onnx'));
    expect(info.stdout).toMatch(/tiny preset/);
    expect(fs.readFileSync(path.join(run, 'log.jsonl'), 'utf8')).toMatch(/"D\/gp"/);

    // A new run fine-tunes by default; here from the model just made, whose preset it takes.
    const model = path.join(run, 'model.onnx');
    const common = ['--data', data, '--aligned', '--labels', path.join(tmp, 'aus.csv'), '--steps', '2', '--batch', '2', '--validation-fraction', '0'];
    const tuned = cli('train', ...common, '--out', path.join(tmp, 'tuned'), '--init-from', model);
    expect(tuned.status, tuned.stderr).toBe(0);
    expect(tuned.stdout).toMatch(/fine-tuning .*model\.onnx \(tiny preset\)/);
    expect(cli('info', path.join(tmp, 'tuned', 'model.onnx')).stdout).toMatch(/tiny preset[\s\S]*Fine-tuned from model\.onnx/);
    const mismatch = cli('train', ...common, '--out', path.join(tmp, 'other'), '--init-from', model, '--preset', 'light');
    expect(mismatch.status).toBe(2);
    expect(mismatch.stderr).toMatch(/is a tiny model, not light; train from scratch to make a light model \(--from-scratch\)/);
    expect(cli('train', ...common, '--out', run, '--resume', '--from-scratch').stderr).toMatch(/--resume continues the run's own networks/);
    expect(fs.existsSync(path.join(tmp, 'other'))).toBe(false);
  });

  it.skipIf(!have)('stops a training run on SIGTERM as on Ctrl-C: a checkpoint is written and --resume continues from it', async () => {
    const data = path.join(tmp, 'faces-sigterm');
    fs.mkdirSync(data);
    for (const f of someFaces()) fs.copyFileSync(path.join(FACES, f), path.join(data, f));
    const run = path.join(tmp, 'run-sigterm');
    const args = ['--data', data, '--out', run, '--aligned', '--batch', '2', '--validation-fraction', '0'];
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/ganimation.mjs'), 'train', ...args, '--from-scratch', '--preset', 'tiny', '--steps', '100000'], { cwd: tmp, env: { ...process.env, HOME: tmp } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    // `timeout`, `kill` and service managers stop a process with SIGTERM: sent once steps are running.
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (/step \d+\/100000/.test(stderr) && !child.killed) child.kill('SIGTERM');
    });
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status, stderr).toBe(0);
    const stopped = /stopped at step (\d+); continue with --resume/.exec(stdout);
    expect(stopped, stdout).not.toBeNull();
    expect(fs.readdirSync(path.join(run, 'checkpoints')).length).toBeGreaterThan(0);
    const resumed = cli('train', ...args, '--steps', String(Number(stopped?.[1]) + 2), '--resume');
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`done: ${Number(stopped?.[1]) + 2} steps`));
  });
});
