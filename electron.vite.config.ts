// Build of the three Electron bundles: main (ESM, node deps external), preload (one CommonJS file,
// as sandboxed preloads require) and the Svelte renderer.
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { META_CONTENT_SECURITY_POLICY } from './src/shared/csp';

/** Fills the page's CSP meta tag from the shared policy; a page without the tag fails the build. */
function cspMeta(): Plugin {
  const placeholder = '%STUDIO_CSP%';
  return {
    name: 'studio-csp-meta',
    transformIndexHtml: {
      order: 'pre',
      handler: (html, { filename }) => {
        if (!html.includes(placeholder)) throw new Error(`${filename} has no CSP meta tag with content="${placeholder}"`);
        return html.replace(placeholder, META_CONTENT_SECURITY_POLICY);
      },
    },
  };
}

export default defineConfig({
  main: {
    build: {
      // Native addons can never be bundled; listed so they stay external whichever dependency list they are in.
      externalizeDeps: { include: ['onnxruntime-node', 'sharp'] },
      // Worker threads load their own entries beside index.js (see src/main/workers/worker-job.ts).
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          'train-worker': resolve(__dirname, 'src/main/train/train-worker.ts'),
          'export-worker': resolve(__dirname, 'src/main/render/export-worker.ts'),
          'frame-worker': resolve(__dirname, 'src/main/api/frame-worker.ts'),
          'generator-thread': resolve(__dirname, 'src/main/infer/generator-thread.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // Sandboxed preloads cannot require packages: bundle them (zod, for the operation table).
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    build: { rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } } },
    // The renderer's root is src/renderer, so the project's svelte.config.js must be named.
    plugins: [svelte({ configFile: resolve(__dirname, 'svelte.config.js') }), cspMeta()],
  },
});
