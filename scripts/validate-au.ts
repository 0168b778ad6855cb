// Validates the built-in AU estimator on ../shared/data/tw-expressions (posed emotions): prints the
// mean AU profile per emotion and Cohen's d of each prototypical contrast against neutral.
// Usage: npx tsx scripts/validate-au.ts [--performers 1-24]
import fs from 'node:fs';
import path from 'node:path';
import { AU_ORDER } from '../src/shared/aus';
import { estimateAus } from '../src/main/face/au-estimator';
import { detectFaces } from '../src/main/face/detector';
import { decodeImage } from '../src/main/face/image-io';

const DATA = path.resolve(import.meta.dirname, '../../shared/data/tw-expressions');
const range = (process.argv[process.argv.indexOf('--performers') + 1] ?? '1-24').split('-').map(Number);

const CONTRASTS: [string, string[]][] = [
  ['happy', ['AU06', 'AU12']],
  ['surprised', ['AU01', 'AU02', 'AU05', 'AU25', 'AU26']],
  ['angry', ['AU04']],
  ['sad', ['AU15', 'AU01', 'AU04']],
  ['disgusted', ['AU09', 'AU10']],
];

function cohensD(a: number[], b: number[]): number {
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const variance = (x: number[]) => x.reduce((s, v) => s + (v - mean(x)) ** 2, 0) / (x.length - 1);
  const pooled = Math.sqrt(((a.length - 1) * variance(a) + (b.length - 1) * variance(b)) / (a.length + b.length - 2));
  return (mean(a) - mean(b)) / pooled;
}

async function main(): Promise<void> {
  if (!fs.existsSync(DATA)) throw new Error(`${DATA} not found`);
  const rows = fs.readFileSync(path.join(DATA, 'labels.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const byEmotion = new Map<string, Float32Array[]>();
  let missed = 0;
  for (const [file, performer, expression] of rows) {
    if (Number(performer) < range[0] || Number(performer) > range[1]) continue;
    const faces = await detectFaces(await decodeImage(path.join(DATA, 'images', file)));
    if (!faces.length) {
      missed++;
      continue;
    }
    byEmotion.set(expression, [...(byEmotion.get(expression) ?? []), estimateAus(faces[0])]);
  }
  const au = (name: string) => AU_ORDER.indexOf(name as (typeof AU_ORDER)[number]);
  console.log(`tw-expressions performers ${range[0]}-${range[1]}: ${[...byEmotion.values()].reduce((n, v) => n + v.length, 0)} faces, ${missed} without a detected face\n`);
  console.log(`| emotion | n | ${AU_ORDER.join(' | ')} |`);
  console.log(`|---|---:|${AU_ORDER.map(() => '---:').join('|')}|`);
  for (const [emotion, list] of [...byEmotion].sort()) {
    const means = AU_ORDER.map((_, k) => list.reduce((s, v) => s + v[k], 0) / list.length);
    console.log(`| ${emotion} | ${list.length} | ${means.map((m) => m.toFixed(2)).join(' | ')} |`);
  }
  console.log('\n| contrast vs neutral | Cohen\'s d |\n|---|---:|');
  const neutral = byEmotion.get('neutral') ?? [];
  for (const [emotion, aus] of CONTRASTS) {
    for (const name of aus) {
      const d = cohensD((byEmotion.get(emotion) ?? []).map((v) => v[au(name)]), neutral.map((v) => v[au(name)]));
      console.log(`| ${emotion} ${name} | ${d.toFixed(2)} |`);
    }
  }
}

void main();
