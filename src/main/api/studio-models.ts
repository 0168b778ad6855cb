// One studio's models: the files it offers (given ones first, then every model in its models
// folder), the one that renders previews and exports, imports of .onnx files and original .pth
// checkpoints, and removal of imported or trained ones.
import fs from 'node:fs';
import path from 'node:path';
import type { ModelEntry } from '../../shared/api';
import { StudioError } from '../../shared/errors';
import { writeFileAtomic } from '../io/atomic-write';
import { presetOfGenerator } from '../model/config';
import { exportGeneratorModel, readModelInfo } from '../model/model-file';
import { importPthStateDict, inferGeneratorArch } from '../model/pth/import-pth';

type ModelInfo = ReturnType<typeof readModelInfo>;

export class ModelLibrary {
  private readonly folder: string;
  private paths: string[];
  private active: string | null;
  /** Metadata by file, kept while the file is unchanged: listing must not re-decode every model. */
  private readonly infoCache = new Map<string, { mtimeMs: number; size: number; info: ModelInfo }>();

  /**
   * @param offered models offered before the folder's (the bundled one, a command-line one); files
   *   that do not exist are left out. The first model offered renders.
   * @param folder where imported and studio-trained models are kept; its .onnx files are offered too.
   */
  constructor(offered: readonly string[], folder: string) {
    this.folder = path.resolve(folder);
    const inFolder = fs.existsSync(this.folder) ? fs.readdirSync(this.folder).filter((f) => f.endsWith('.onnx')).sort().map((f) => path.join(this.folder, f)) : [];
    const existing = [...offered.filter((p) => fs.existsSync(p)).map((p) => path.resolve(p)), ...inFolder];
    this.paths = [...new Set(existing)];
    this.active = this.paths[0] ?? null;
  }

  /** The model that renders previews and exports. */
  activePath(): string {
    if (!this.active) throw new StudioError('no-model', 'no model is loaded: import a model (.onnx, or an original .pth checkpoint) first');
    return this.active;
  }

  /** The folder where imported and studio-trained models are kept, made if missing. */
  modelsFolder(): string {
    fs.mkdirSync(this.folder, { recursive: true });
    return this.folder;
  }

  /** Adds an uploaded .onnx model or original .pth checkpoint (converted) to the models folder and makes it active. */
  importModel(name: string, dataBase64: string): ModelEntry[] {
    const base = path.basename(name).replace(/\.(onnx|pth)$/i, '').replace(/[^\w.-]+/g, '_') || 'model';
    const target = path.join(this.modelsFolder(), `${base}.onnx`);
    try {
      convertUpload(name, base, Buffer.from(dataBase64, 'base64'), target);
    } catch (err) {
      // Errors name the temporary upload; the user knows the file by the name they picked.
      const info = err as StudioError;
      throw new StudioError(info.code ?? 'bad-model', String(info.message).replace(/\S*\.upload-\d+\.(onnx|pth)/g, name));
    }
    if (!this.paths.includes(target)) this.paths.push(target);
    this.active = target;
    return this.list();
  }

  /** Offers a model file (e.g. one just trained) in the list, without making it active; returns its id. */
  addModel(file: string): string {
    const id = path.resolve(file);
    readModelInfo(id);
    if (!this.paths.includes(id)) this.paths.push(id);
    return id;
  }

  useModel(id: string): ModelEntry[] {
    this.known(id);
    this.active = id;
    return this.list();
  }

  /** Deletes an imported or trained model file; the bundled model is never removed. */
  removeModel(id: string): ModelEntry[] {
    this.known(id);
    if (!this.isRemovable(id)) throw new StudioError('not-removable', `${path.basename(id)} is bundled with the studio and cannot be removed`);
    fs.rmSync(id, { force: true });
    this.infoCache.delete(id);
    this.paths = this.paths.filter((p) => p !== id);
    if (this.active === id) this.active = this.paths[0] ?? null;
    return this.list();
  }

  list(): ModelEntry[] {
    return this.paths.map((file) => {
      const info = this.cachedInfo(file);
      const a = info.architecture;
      const provenance = info.provenance.trainedBy ?? (info.provenance.importedFrom ? `imported from ${info.provenance.importedFrom}` : 'unknown');
      return {
        id: file,
        name: path.basename(file, '.onnx'),
        imageSize: info.imageSize,
        architecture: `conv_dim ${a.convDim}, ${a.repeatNum} blocks`,
        preset: presetOfGenerator(a),
        geometry: info.motionBasis !== null,
        repaintRegion: info.repaintRegion,
        provenance,
        active: file === this.active,
        trainingData: info.trainingData ?? null,
        steps: typeof info.metrics.steps === 'number' ? info.metrics.steps : null,
        sizeBytes: fs.statSync(file).size,
        removable: this.isRemovable(file),
        modelCard: info.modelCard,
      };
    });
  }

  private known(id: string): void {
    if (!this.paths.includes(id)) throw new StudioError('no-such-model', `no model ${id} in the list`);
  }

  private isRemovable(file: string): boolean {
    return path.dirname(file) === this.folder;
  }

  private cachedInfo(file: string): ModelInfo {
    const { mtimeMs, size } = fs.statSync(file);
    const hit = this.infoCache.get(file);
    if (hit && hit.mtimeMs === mtimeMs && hit.size === size) return hit.info;
    const info = readModelInfo(file);
    this.infoCache.set(file, { mtimeMs, size, info });
    return info;
  }
}

/** Writes an upload to `target` as a checked .onnx model: a .pth checkpoint is converted, an .onnx is read back first. */
function convertUpload(name: string, base: string, bytes: Buffer, target: string): void {
  const dir = path.dirname(target);
  const isPth = /\.pth$/i.test(name);
  const temp = path.join(dir, `.${base}.upload-${process.pid}.${isPth ? 'pth' : 'onnx'}`);
  try {
    fs.writeFileSync(temp, bytes);
    if (isPth) {
      const { tensors } = importPthStateDict(temp);
      const cfg = inferGeneratorArch(tensors);
      writeFileAtomic(target, exportGeneratorModel(new Map([...tensors].map(([k, t]) => [k, t.data])), cfg, { provenance: { importedFrom: path.basename(name) } }));
    } else {
      readModelInfo(temp);
      fs.renameSync(temp, target);
    }
  } finally {
    fs.rmSync(temp, { force: true });
  }
}
