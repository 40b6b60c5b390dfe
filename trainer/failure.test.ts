import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failureKind } from './failure.js';

describe('failureKind', () => {
  it('an attempt with attempts left is only an attempt failure', () => {
    assert.equal(failureKind({ attemptsMade: 0, attempts: 3, unrecoverable: false }), 'attemptFailed');
    assert.equal(failureKind({ attemptsMade: 1, attempts: 3, unrecoverable: false }), 'attemptFailed');
  });

  it('the last attempt fails the job', () => {
    assert.equal(failureKind({ attemptsMade: 2, attempts: 3, unrecoverable: false }), 'jobFailed');
    assert.equal(failureKind({ attemptsMade: 0, unrecoverable: false }), 'jobFailed');
  });

  it('an unrecoverable error fails the job on any attempt', () => {
    assert.equal(failureKind({ attemptsMade: 0, attempts: 3, unrecoverable: true }), 'jobFailed');
  });

  it('not enough data yet is its own kind, on any attempt', () => {
    assert.equal(
      failureKind({ attemptsMade: 0, attempts: 3, unrecoverable: true, notEnoughData: true }),
      'notEnoughData',
    );
  });
});
