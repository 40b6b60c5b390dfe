// One place decides which TensorFlow.js backend runs: tfjs-node (native libtensorflow) where it
// is installed, as in the container image; else WebAssembly; else plain JavaScript.
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';

export type Tf = typeof TF;
export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

let loaded: Promise<{ tf: Tf; backend: string }> | undefined;

/** Loads tfjs once per process with the preferred backend, falling back in order. */
export function loadTf(preference: BackendPreference = 'auto'): Promise<{ tf: Tf; backend: string }> {
  loaded ??= load(preference);
  return loaded;
}

async function load(preference: BackendPreference): Promise<{ tf: Tf; backend: string }> {
  if (preference === 'auto' || preference === 'tensorflow') {
    try {
      // Optional dependency: its install downloads libtensorflow, which only works with internet.
      const moduleName = '@tensorflow/tfjs-node';
      const tf = (await import(moduleName)) as Tf;
      await tf.ready();
      return { tf, backend: tf.getBackend() };
    } catch (error) {
      if (preference === 'tensorflow')
        throw new Error(
          `TFJS_BACKEND=tensorflow but @tensorflow/tfjs-node does not load: ${(error as Error).message}`,
        );
    }
  }
  const tf = (await import('@tensorflow/tfjs')) as Tf;
  if (preference === 'auto' || preference === 'wasm') {
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const require = createRequire(import.meta.url);
      const wasmDir = path.dirname(
        require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'),
      );
      wasm.setWasmPaths(`${wasmDir}${path.sep}`);
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return { tf, backend: 'wasm' };
      }
    } catch (error) {
      if (preference === 'wasm')
        throw new Error(`TFJS_BACKEND=wasm but the wasm backend does not load: ${(error as Error).message}`);
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { tf, backend: 'cpu' };
}
