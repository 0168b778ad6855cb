// A generator engine in a worker thread of its own. onnxruntime-node runs a session synchronously
// on the calling thread (its promise-returning run() only defers the call with setImmediate), so a
// thread that generates can do nothing else meanwhile: no compositing, no feeding ffmpeg's pipe.
// Export drives the generator through this class so that all three overlap.
import type { Device, ProviderReport } from './providers';
import { GeneratorEngine, type GeneratedFrame } from './generator-engine';
import { motionOfModel, type ModelMotion } from './model-motion';
import { rpcClient, serveRpc, type RpcClient } from '../workers/rpc';

/** What export needs of a generator: the crop size, batched generation for one crop, and for a crop per AU vector (geometry on). */
export interface FrameGenerator {
  readonly imageSize: number;
  /** The model's motion basis; geometry is off without one. */
  readonly motion: ModelMotion;
  generate(image: Float32Array, ausList: readonly Float32Array[], batchSize?: number): Promise<GeneratedFrame[]>;
  generateBatch(images: readonly Float32Array[], ausList: readonly Float32Array[], batchSize?: number): Promise<GeneratedFrame[]>;
}

let engine: GeneratorEngine | null = null;

const methods = {
  async load(args: { modelPath: string; device: Device }) {
    // Export runs this thread beside compositing and ffmpeg: idle threads yield rather than spin.
    engine = await GeneratorEngine.load(args.modelPath, { device: args.device, spinWait: false });
    return { imageSize: engine.imageSize, provider: engine.provider, motionBasis: engine.info.motionBasis, repaintRegion: engine.info.repaintRegion, mouthInterior: engine.info.mouthInterior };
  },
  async generate(args: { image: Float32Array; ausList: readonly Float32Array[]; batchSize: number }) {
    if (!engine) throw new Error('generator thread: generate before load');
    return engine.generate(args.image, args.ausList, args.batchSize);
  },
  async generateBatch(args: { images: readonly Float32Array[]; ausList: readonly Float32Array[]; batchSize: number }) {
    if (!engine) throw new Error('generator thread: generate before load');
    return engine.generateBatch(args.images, args.ausList, args.batchSize);
  },
};

serveRpc('generator-thread', methods);

export class GeneratorThread implements FrameGenerator {
  private constructor(
    private readonly client: RpcClient<typeof methods>,
    readonly imageSize: number,
    readonly provider: ProviderReport,
    readonly motion: ModelMotion,
  ) {}

  /** Starts a thread and loads the model there; errors (unreadable model, no provider) come back as they would from GeneratorEngine.load. */
  static async load(modelPath: string, options: { device?: Device } = {}): Promise<GeneratorThread> {
    const client = rpcClient<typeof methods>(import.meta.url, 'generator-thread');
    try {
      const { imageSize, provider, ...geometry } = await client.call('load', { modelPath, device: options.device ?? 'auto' });
      return new GeneratorThread(client, imageSize, provider, motionOfModel(geometry, modelPath));
    } catch (err) {
      await client.close();
      throw err;
    }
  }

  generate(image: Float32Array, ausList: readonly Float32Array[], batchSize = 8): Promise<GeneratedFrame[]> {
    return this.client.call('generate', { image, ausList, batchSize });
  }

  generateBatch(images: readonly Float32Array[], ausList: readonly Float32Array[], batchSize = 8): Promise<GeneratedFrame[]> {
    return this.client.call('generateBatch', { images, ausList, batchSize });
  }

  /** Ends the thread (and its session). */
  close(): Promise<void> {
    return this.client.close();
  }
}
