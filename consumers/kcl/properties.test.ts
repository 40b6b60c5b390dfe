import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../lib/config.js';
import { renderProperties } from './properties.js';

describe('renderProperties', () => {
  it("fills every placeholder of Amazon's daemon properties from the configuration", () => {
    const config = loadConfig({
      STREAM_NAME: 'beers-prod',
      AWS_REGION: 'eu-west-1',
      KCL_POLL_INTERVAL_MS: '250',
    });
    const text = renderProperties(config, {
      applicationName: 'brewstream-cleaned',
      command: ['node', 'dist/bin/brewstream.js', 'processor', 'cleaned'],
    });
    const props = Object.fromEntries(
      text
        .split('\n')
        .filter((line) => line.includes('=') && !line.startsWith('#'))
        .map((line) => line.split('=').map((part) => part.trim())),
    );
    assert.equal(props.executableName, 'node dist/bin/brewstream.js processor cleaned');
    assert.equal(props.streamName, 'beers-prod');
    assert.equal(props.applicationName, 'brewstream-cleaned');
    assert.equal(props.regionName, 'eu-west-1');
    assert.equal(props.idleTimeBetweenReadsInMillis, '250');
    assert.equal(props.callProcessRecordsEvenForEmptyRecordList, 'true');
    assert.equal(props.initialPositionInStream, 'TRIM_HORIZON');
    assert.doesNotMatch(text, /\$\{[A-Z_]+\}/);
  });
});
