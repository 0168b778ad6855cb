// `npm run web`: serves the built studio on 127.0.0.1 and prints the URL with its access token.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configureModels, configureSample, configureStorage } from '../api/studio-session';
import { configureDataRoots } from '../api/training-jobs';
import { startWebServer } from './server';

const args = process.argv.slice(2);
const portFlag = args.indexOf('--port');
const port = portFlag >= 0 ? Number(args[portFlag + 1]) : 5780;
const modelFlag = args.indexOf('--model');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const modelsFlag = args.indexOf('--models-dir');
const importDir = modelsFlag >= 0 ? path.resolve(args[modelsFlag + 1]) : path.join(os.homedir(), '.ganimation-studio', 'models');
const imported = fs.existsSync(importDir) ? fs.readdirSync(importDir).filter((f) => f.endsWith('.onnx')).map((f) => path.join(importDir, f)) : [];
configureModels([...(modelFlag >= 0 ? [args[modelFlag + 1]] : []), path.join(root, 'resources/models/default.onnx'), ...imported], { importDir });
const dataFlag = args.indexOf('--data-dir');
configureStorage(dataFlag >= 0 ? path.resolve(args[dataFlag + 1]) : path.join(os.homedir(), '.ganimation-studio'));
configureSample(path.join(root, 'resources/samples/portrait.jpg'));
// Training folders must lie under a --data-root (repeatable): web mode reads no other folder.
configureDataRoots(args.flatMap((a, i) => (a === '--data-root' && args[i + 1] ? [path.resolve(args[i + 1])] : [])));
const rendererDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../out/renderer');

const server = await startWebServer({ port, rendererDir });
console.log(`GANimation Studio (web mode): ${server.url}`);
process.on('SIGINT', () => void server.close().then(() => process.exit(0)));
