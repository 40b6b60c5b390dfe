#!/usr/bin/env node
// Bundles the operators' page (page/main.ts and the npm packages it imports: no CDN) into
// dist/page/page.js, minified, which the server serves at /page/page.js (server/routes/page.ts).
// Run by `npm run build` after tsc; esbuild is a devDependency, the bundle ships in dist/.
import { build } from 'esbuild';

await build({
  entryPoints: ['page/main.ts'],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  outfile: 'dist/page/page.js',
  legalComments: 'none',
  logLevel: 'warning',
});

// The page and its style sheet beside the bundle: dist/ is what the image ships.
const { copyFile } = await import('node:fs/promises');
await copyFile('page/index.html', 'dist/page/index.html');
await copyFile('page/page.css', 'dist/page/page.css');
