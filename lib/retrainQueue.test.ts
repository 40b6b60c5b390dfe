import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRetrainJobId } from './retrainQueue.js';

test("a retrain job id is BullMQ's counter or a scheduled run's id, nothing else under the prefix", () => {
  for (const id of ['1', '42', '9007199254740991', 'repeat:retrain-schedule:1796597662997'])
    assert.equal(isRetrainJobId(id), true, id);
  for (const id of [
    'meta',
    'events',
    'id',
    'wait',
    'de:retrain:pending',
    '0',
    '01',
    '-1',
    '1.5',
    'repeat:other:1',
    'repeat:retrain-schedule:',
    '1:meta',
    '',
  ])
    assert.equal(isRetrainJobId(id), false, id);
});
