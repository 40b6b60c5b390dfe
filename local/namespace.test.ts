import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { namespaceDefaults, parseNamespaceId } from './namespace.js';

describe('namespaceDefaults', () => {
  it('derives the queue prefix and the KCL application from the id when neither is set', () => {
    assert.deepEqual(namespaceDefaults({}, '0a1b2c3d'), {
      QUEUE_PREFIX: 'bs-0a1b2c3d',
      KCL_APPLICATION_NAME: 'brewstream-cleaned-0a1b2c3d',
    });
  });

  it('leaves an explicit value alone', () => {
    assert.deepEqual(namespaceDefaults({ QUEUE_PREFIX: 'mine' }, '0a1b2c3d'), {
      KCL_APPLICATION_NAME: 'brewstream-cleaned-0a1b2c3d',
    });
    assert.deepEqual(
      namespaceDefaults({ QUEUE_PREFIX: 'mine', KCL_APPLICATION_NAME: 'app' }, '0a1b2c3d'),
      {},
    );
  });

  it('treats an empty or blank value as unset, as the configuration does', () => {
    assert.deepEqual(namespaceDefaults({ QUEUE_PREFIX: '  ', KCL_APPLICATION_NAME: '' }, 'ffffffff'), {
      QUEUE_PREFIX: 'bs-ffffffff',
      KCL_APPLICATION_NAME: 'brewstream-cleaned-ffffffff',
    });
  });
});

describe('parseNamespaceId', () => {
  it('reads the id, ignoring the line end', () => {
    assert.equal(parseNamespaceId('/d/namespace', '0a1b2c3d\n'), '0a1b2c3d');
  });

  it('names the file and what it holds when it is not an id', () => {
    assert.throws(
      () => parseNamespaceId('/d/namespace', 'hello world'),
      /^Error: \/d\/namespace: expected 8 hex digits \(written by npm start\), got "hello world"/,
    );
    assert.throws(() => parseNamespaceId('/d/namespace', ''), /got ""/);
    assert.throws(() => parseNamespaceId('/d/namespace', '0A1B2C3D'), /expected 8 hex digits/);
  });
});
