// Bundles GraphiQL (React, CodeMirror, styles) into dist/graphiql/ for the GraphQL server to
// serve itself: no CDN at run time, and nothing to download when the indexer starts.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { rmSync } from 'node:fs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outdir = path.join(root, 'dist', 'graphiql');
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: { graphiql: path.join(root, 'graphiql', 'main.ts') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  outdir,
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
  metafile: true,
});
const out = Object.entries(result.metafile.outputs).map(([file, o]) => `${path.relative(root, file)} ${(o.bytes / 1024).toFixed(0)} KiB`);
process.stdout.write(`GraphiQL bundle: ${out.join(', ')}\n`);
