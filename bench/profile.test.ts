import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type CpuProfile, origin, summarize } from './profile.js';

const node = (id: number, functionName: string, url: string, hitCount: number) => ({
  id,
  callFrame: { functionName, url, lineNumber: 9 },
  hitCount,
});

describe('CPU profile summary', () => {
  test('a frame belongs to its package, to node, to us, or to V8', () => {
    assert.equal(origin('file:///app/node_modules/fastify/lib/route.js', 'routeHandler'), 'fastify');
    assert.equal(origin('file:///app/node_modules/@smithy/core/dist/index.js', 'x'), '@smithy/core');
    assert.equal(origin('node:internal/streams/writable', 'write'), 'node');
    assert.equal(origin('file:///app/dist/server/app.js', 'logRequest'), 'app');
    assert.equal(origin('', '(garbage collector)'), '(garbage collector)');
  });

  test('shares are of busy time: idle samples are left out', () => {
    const profile: CpuProfile = {
      startTime: 0,
      endTime: 2_000_000,
      nodes: [
        node(1, '(idle)', '', 50),
        node(2, 'routeHandler', 'file:///a/node_modules/fastify/lib/route.js', 30),
        node(3, 'logRequest', 'file:///a/dist/server/app.js', 10),
        node(4, '(garbage collector)', '', 10),
        node(5, 'other', 'file:///a/node_modules/fastify/lib/reply.js', 0),
      ],
    };
    const summary = summarize(profile);
    assert.equal(summary.seconds, 2);
    assert.deepEqual(summary.packages, [
      { name: 'fastify', share: 0.6 },
      { name: 'app', share: 0.2 },
      { name: '(garbage collector)', share: 0.2 },
    ]);
    assert.deepEqual(summary.functions[0], { name: 'routeHandler route.js:10', share: 0.6 });
  });
});
