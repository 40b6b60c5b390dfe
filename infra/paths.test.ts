import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { isEntryPoint } from './paths.js';

describe('isEntryPoint', () => {
  it('recognises the script in a folder whose name has a space (percent-encoded in the URL)', () => {
    const file = path.resolve('/home/ops/my projects/brewstream/infra/app.ts');
    const url = pathToFileURL(file).href;
    assert.match(url, /my%20projects/);
    assert.equal(isEntryPoint(url, file), true);
  });

  it('takes a relative argv[1] as node does, and is false for another script or none', () => {
    const url = pathToFileURL(path.resolve('infra/app.ts')).href;
    assert.equal(isEntryPoint(url, 'infra/app.ts'), true);
    assert.equal(isEntryPoint(url, path.resolve('infra/other.ts')), false);
    assert.equal(isEntryPoint(url, undefined), false);
  });
});
