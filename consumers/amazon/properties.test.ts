import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadConfig } from '../../lib/config.js';
import { logbackConfiguration, renderProperties } from './properties.js';

/** The rendered file for the cleaned consumer under `env`, and its key = value pairs. */
function render(env: Record<string, string>) {
  const text = renderProperties(loadConfig(env), {
    applicationName: 'brewstream-cleaned',
    command: ['node', 'dist/bin/brewstream.js', 'processor', 'cleaned'],
  });
  const props: Record<string, string> = Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line.includes('=') && !line.startsWith('#'))
      .map((line) => line.split('=').map((part) => part.trim())),
  );
  return { text, props };
}

describe('renderProperties', () => {
  it("fills every placeholder of Amazon's daemon properties from the configuration", () => {
    const { text, props } = render({
      STREAM_NAME: 'beers-prod',
      AWS_REGION: 'eu-west-1',
      KCL_POLL_INTERVAL_MS: '250',
    });
    assert.equal(props.executableName, 'node dist/bin/brewstream.js processor cleaned');
    assert.equal(props.streamName, 'beers-prod');
    assert.equal(props.applicationName, 'brewstream-cleaned');
    assert.equal(props.regionName, 'eu-west-1');
    assert.equal(props.idleTimeBetweenReadsInMillis, '250');
    assert.equal(props.callProcessRecordsEvenForEmptyRecordList, 'true');
    assert.equal(props.initialPositionInStream, 'TRIM_HORIZON');
    assert.doesNotMatch(text, /\$\{[A-Z_]+\}/);
  });

  it('polls explicitly, waits for processors on SIGTERM, and uses only keys KCL 2.7 applies', () => {
    const { props } = render({ STREAM_NAME: 'beers' });
    // Left unset, the daemon chooses enhanced fan-out unless a polling property is set.
    assert.equal(props.retrievalMode, 'POLLING');
    // The daemon's shutdown hook waits this long for shutdownRequested checkpoints; 0 by default.
    assert.ok(Number(props.shutdownGraceMillis) > 0);
    assert.ok(Number(props.maxRecords) <= 10_000, 'KCL rejects maxRecords above 10000');
    // Unknown keys are silently ignored by the daemon, so a typo would pass unnoticed: these are
    // the keys KCL 2.7.2's MultiLangDaemonConfig and MultiLangDaemonConfiguration act on.
    const applied = new Set([
      'executableName',
      'streamName',
      'applicationName',
      'regionName',
      'AWSCredentialsProvider',
      'initialPositionInStream',
      'callProcessRecordsEvenForEmptyRecordList',
      'retrievalMode',
      'idleTimeBetweenReadsInMillis',
      'maxRecords',
      'failoverTimeMillis',
      'maxLeasesForWorker',
      'shardSyncIntervalMillis',
      'cleanupLeasesUponShardCompletion',
      'shutdownGraceMillis',
      'timeoutInSeconds',
      'metricsLevel',
      'metricsEnabledDimensions',
    ]);
    for (const key of Object.keys(props)) assert.ok(applied.has(key), `unexpected key ${key}`);
  });

  it('publishes SUMMARY metrics without the per-start WorkerIdentifier dimension, and ends a wedged processor', () => {
    const { props } = render({});
    assert.equal(props.metricsLevel, 'SUMMARY');
    // KCL 2.7.2 splits the value on commas; Operation is always on.
    assert.deepEqual(props.metricsEnabledDimensions?.split(','), ['Operation', 'ShardId']);
    // Past a processor's own worst case for one batch: 8 write attempts of up to 60 s each.
    assert.ok(Number(props.timeoutInSeconds) > 8 * 60);
  });

  it('caps the leases of one worker at KCL_MAX_LEASES_PER_WORKER, no limit by default', () => {
    assert.equal(render({ KCL_MAX_LEASES_PER_WORKER: '8' }).props.maxLeasesForWorker, '8');
    assert.equal(render({}).props.maxLeasesForWorker, String(2 ** 31 - 1));
  });
});

describe('the daemon logging configuration', () => {
  it("turns off the daemon's second copy of each processor stderr line, and only that", () => {
    const xml = readFileSync(logbackConfiguration, 'utf8');
    // KCL 2.7.2's DrainChildSTDERRTask prints each line to stderr as it is and logs it again at
    // ERROR; the logger named here is that class.
    const off = [...xml.matchAll(/<logger name="([^"]+)" level="OFF" \/>/g)].map((m) => m[1]);
    assert.deepEqual(off, ['software.amazon.kinesis.multilang.DrainChildSTDERRTask']);
    assert.match(xml, /<root level="INFO">\s*<appender-ref ref="CONSOLE" \/>\s*<\/root>/);
  });
});
