// Svelte compiler options shared by the renderer build and svelte-check.
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

export default { preprocess: vitePreprocess() };
