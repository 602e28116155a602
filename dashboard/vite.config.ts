import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  // relative asset URLs so the built app works under any path (the CLI may mount it anywhere)
  base: './',
  plugins: [svelte()],
  build: { target: 'es2022', sourcemap: false, reportCompressedSize: true },
  test: { include: ['tests/unit/**/*.test.ts'] },
});
