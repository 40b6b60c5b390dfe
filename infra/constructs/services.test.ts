import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageContextExcludes } from './services.js';

describe('imageContextExcludes', () => {
  it('excludes everything at the top, then lets in the manifests, tsconfig.json, the compiled folders and scripts/', () => {
    assert.deepEqual(imageContextExcludes(['bin', 'lib']), [
      '*',
      '!package.json',
      '!package-lock.json',
      '!tsconfig.json',
      '!bin',
      '!lib',
      '!scripts',
    ]);
  });
});
