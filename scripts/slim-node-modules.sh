#!/bin/sh
# Run by the Dockerfile in /app, in the same RUN as `npm ci --omit=dev` (a later RUN cannot shrink
# an earlier layer): cuts from the runtime install what Node never loads, then proves that what
# the roles load still loads. Measured cuts: README.md "Container image".
set -eu

# npm's download cache (~140 MB) and Node's compile cache.
npm cache clean --force
rm -rf /tmp/node-compile-cache

# typescript: an optional peer of valibot (through @bull-board/api) that --omit=dev keeps, as the
# lockfile marks it devOptional. Nothing loads it at runtime.
rm -rf node_modules/typescript

# TensorFlow.js: Node loads each package's "main" (dist/*.node.js, which requires the others the
# same way) and the wasm backend's dist/*.wasm. The browser bundles, minified and ES module trees,
# source maps, typings and sources are about 280 MB of the 290. tfjs-node, when it installed, is
# left whole (its native addon and libtensorflow live outside dist/).
for package in tfjs tfjs-core tfjs-layers tfjs-converter tfjs-data tfjs-backend-cpu tfjs-backend-webgl \
  tfjs-backend-wasm; do
  dir=node_modules/@tensorflow/$package
  [ -d "$dir" ] || { echo "slim-node-modules: $dir is missing" >&2; exit 1; }
  find "$dir" -mindepth 1 -maxdepth 1 ! -name dist ! -name node_modules ! -name package.json \
    ! -name 'LICENSE*' -exec rm -rf {} +
  find "$dir/dist" -mindepth 1 -maxdepth 1 ! -name '*.node.js' ! -name '*.wasm' -exec rm -rf {} +
done

# Typings, TypeScript sources and source maps anywhere: Node never loads them (it does not strip
# types under node_modules).
find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.ts' \
  -o -name '*.mts' -o -name '*.cts' -o -name '*.map' \) -delete

# What the roles load must still load: every production dependency, and tfjs computing on the
# wasm backend with the .wasm files lib/tfjs.ts points it at.
node --input-type=module <<'EOF'
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const { dependencies } = JSON.parse(readFileSync('package.json', 'utf8'));
for (const name of Object.keys(dependencies)) {
  // punkapi-db is data, imported as JSON (producer/sources.ts).
  await import(name, name === 'punkapi-db' ? { with: { type: 'json' } } : undefined);
}
const require = createRequire(path.resolve('package.json'));
const tf = await import('@tensorflow/tfjs');
const wasm = await import('@tensorflow/tfjs-backend-wasm');
wasm.setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend does not initialise');
const squares = tf.tensor([1, 2, 3]).square().dataSync().join(',');
if (squares !== '1,4,9') throw new Error(`tfjs on wasm computed ${squares}`);
console.log(`slim-node-modules: ${Object.keys(dependencies).length} dependencies load; tfjs ${tf.version.tfjs} computes on ${tf.getBackend()}`);
EOF

# Node 24's npm runs the optional @tensorflow/tfjs-node's install script (package.json allowScripts);
# where its download fails npm drops it, and lib/tfjs.ts falls back to wasm. Say which.
if node -e "require('@tensorflow/tfjs-node')" >/dev/null 2>&1; then
  echo "tfjs-node: native backend"
else
  echo "tfjs-node: not installed, wasm backend"
fi
