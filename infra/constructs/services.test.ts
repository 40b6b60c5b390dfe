import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageExcludes } from './services.js';

describe('imageExcludes', () => {
  it('leaves out a cloud assembly synthesised inside the repository', () => {
    assert.deepEqual(imageExcludes('/repo', '/repo/out'), ['out']);
    assert.deepEqual(imageExcludes('/repo', '/repo/build/synth'), ['build/synth']);
  });

  it('adds nothing for an assembly outside the repository', () => {
    assert.deepEqual(imageExcludes('/repo', '/tmp/cdk-out'), []);
    assert.deepEqual(imageExcludes('/repo', '/repository-next-door/out'), []);
    assert.deepEqual(imageExcludes('/repo', '/repo'), []);
  });
});
