// docs/design.md is the one description of the contracts between roles. These checks keep it
// honest: every key layout, queue, channel, cookie and route that the code defines is named there
// exactly as the code spells it, so a contract cannot change without its doc changing too.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LAST_SEQUENCE_NUMBER } from '../../consumers/processor/batchingProcessor.js';
import { CLEANED_COLUMNS } from '../../lib/beer.js';
import { deadLetterKey, legacyRowsKey, manifestKey, rowsKey, snapshotPrefix } from '../../lib/cleanedKeys.js';
import { registryKeys } from '../../lib/modelRegistry.js';
import { MODEL_PROMOTED_CHANNEL, RETRAIN_QUEUE } from '../../lib/redis.js';
import { RETRAIN_DEDUP_ID, RETRAIN_SCHEDULER_ID } from '../../lib/retrainQueue.js';
import { streamMetricsKeys } from '../../lib/streamMetrics.js';
import { checkpointKey, SHARD_END } from '../../local/kcl-daemon/checkpointStore.js';
import { leaseKey } from '../../local/kcl-daemon/lease.js';
import { NAMESPACE_FILE, namespaceDefaults } from '../../local/namespace.js';
import { DASHBOARD_PATH } from '../../server/plugins/dashboard.js';
import { SESSION_COOKIE } from '../../server/plugins/session.js';
import { startServer, type TestServer } from '../support/server.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const design = readFileSync(path.join(repo, 'docs', 'design.md'), 'utf8');
const documented = (text: string) => assert.ok(design.includes(text), `docs/design.md does not name ${text}`);

describe('docs/design.md names every contract the code defines', () => {
  test('S3 key layouts, spelled with the placeholders the doc uses', () => {
    documented(rowsKey('YYYY-MM-DD', '<shardId>', '<firstSeq>'));
    documented(legacyRowsKey('YYYY-MM-DD', '<shardId>', '<firstSeq>', '<lastSeq>'));
    documented(`\`${LAST_SEQUENCE_NUMBER}\``);
    documented(deadLetterKey('YYYY-MM-DD', '<shardId>', '<sequenceNumber>'));
    documented(registryKeys.champion);
    documented(registryKeys.lastTrained);
    // Snapshot numbers are zero-padded to ten digits; the doc spells the layout with <n>.
    documented(manifestKey(1).replace(snapshotPrefix(1), 'snapshots/<n>/'));
    documented('snapshots/<n>/table-<writer>.csv');
    documented(registryKeys.file('<version>', 'metadata.json'));
    documented(CLEANED_COLUMNS.join(','));
  });

  test('queue, deduplication id, scheduler, channel', () => {
    documented(`queue \`${RETRAIN_QUEUE}\``);
    documented(RETRAIN_DEDUP_ID);
    documented(RETRAIN_SCHEDULER_ID);
    documented(`channel \`${MODEL_PROMOTED_CHANNEL}\``);
  });

  test("the consumers' stream metrics in Redis", () => {
    const keys = streamMetricsKeys('<prefix>');
    documented(keys.shards('<consumer>'));
    documented(keys.shard('<consumer>', '<shardId>'));
    documented(keys.deadLetterField('<reason>'));
  });

  test('local daemon keys in Redis', () => {
    documented(checkpointKey('<app>', '<stream>', '<shardId>'));
    documented(leaseKey('<app>', '<stream>'));
    documented(SHARD_END);
  });

  test("npm start's namespace file and the defaults it derives", () => {
    documented(`<LOCAL_DATA_DIR>/${NAMESPACE_FILE}`);
    const defaults = namespaceDefaults({}, '<id>');
    documented(`\`QUEUE_PREFIX\` = \`${defaults.QUEUE_PREFIX}\``);
    documented(`\`KCL_APPLICATION_NAME\` = \`${defaults.KCL_APPLICATION_NAME}\``);
  });

  describe('HTTP routes', () => {
    let server: TestServer;
    before(async () => {
      server = await startServer({ backend: 'cpu' });
    });
    after(async () => {
      await server?.close();
    });

    test('every route of the OpenAPI document, and the dashboard and its cookie', () => {
      const paths = Object.keys((server.app.swagger() as { paths: Record<string, unknown> }).paths)
        .filter((p) => !p.startsWith(DASHBOARD_PATH) && !p.startsWith('/docs'))
        .map((p) => p.replace(/\{(\w+)\}/g, ':$1'));
      assert.ok(paths.length >= 8, `only ${paths.length} routes found`);
      for (const route of paths) {
        // A route is named as a whole path: `/models/:version` does not count for `/models`.
        const named = new RegExp(`[\\s\`]${route.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}[\\s\`?]`);
        assert.match(design, named, `docs/design.md does not name the route ${route}`);
      }
      documented(DASHBOARD_PATH);
      documented(SESSION_COOKIE);
    });
  });
});
