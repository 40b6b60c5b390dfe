import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from './config.js';
import { ConfigError } from './errors.js';

describe('loadConfig', () => {
  it('gives the local defaults when nothing is set', () => {
    const config = loadConfig({});
    assert.equal(config.streamName, 'beers');
    assert.deepEqual(config.buckets, { raw: 'raw', cleaned: 'cleaned', models: 'models' });
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
    assert.equal(config.local.shardCount, 2);
    assert.equal(config.producer.source, 'db');
    assert.equal(config.consumer.batchMaxAgeMs, 1000);
    assert.equal(config.server.trustProxy, 0);
  });

  it('reads and converts set values', () => {
    const config = loadConfig({
      SHARD_COUNT: '4',
      PRODUCER_INTERVAL_S: '2.5',
      API_KEYS: 'a, b,,c',
      PREDICT_REQUIRES_KEY: 'yes',
      TRUST_PROXY: '1',
    });
    assert.equal(config.local.shardCount, 4);
    assert.equal(config.producer.intervalS, 2.5);
    assert.deepEqual(config.server.apiKeys, ['a', 'b', 'c']);
    assert.equal(config.server.predictRequiresKey, true);
    assert.equal(config.server.trustProxy, 1);
  });

  it('names every bad variable and the problem in one error', () => {
    let caught: unknown;
    try {
      loadConfig({
        SHARD_COUNT: 'two',
        PORT: '70000',
        REDIS_URL: 'http://localhost',
        PUNK_SOURCE: 'ftp',
        RAW_BUCKET: 'Not_A_Bucket',
        PREDICT_REQUIRES_KEY: 'maybe',
        PRODUCER_INTERVAL_S: 'NaN',
        AWS_ENDPOINT_URL_S3: 'not a url',
        TRUST_PROXY: 'yes',
      });
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof ConfigError);
    const text = caught.message;
    assert.match(text, /SHARD_COUNT: expected a whole number, got "two"/);
    assert.match(text, /PORT: must be between 0 and 65535, got 70000/);
    assert.match(text, /REDIS_URL: protocol must be redis: or rediss:/);
    assert.match(text, /PUNK_SOURCE: must be one of db, api, got "ftp"/);
    assert.match(text, /RAW_BUCKET: "Not_A_Bucket" is not a valid S3 bucket name/);
    assert.match(text, /PREDICT_REQUIRES_KEY: expected true or false/);
    assert.match(text, /PRODUCER_INTERVAL_S: expected a number, got "NaN"/);
    assert.match(text, /AWS_ENDPOINT_URL_S3: not a valid URL/);
    assert.match(text, /TRUST_PROXY: expected a whole number, got "yes"/);
    assert.equal(caught.problems.length, 9);
  });

  it('puts REDIS_PASSWORD into the Redis URL (the AUTH token on AWS comes as its own secret)', () => {
    const config = loadConfig({ REDIS_URL: 'rediss://cache.example:6380', REDIS_PASSWORD: 'p@ss/word' });
    const url = new URL(config.redisUrl);
    assert.equal(url.protocol, 'rediss:');
    assert.equal(url.host, 'cache.example:6380');
    assert.equal(decodeURIComponent(url.password), 'p@ss/word');
    assert.equal(loadConfig({ REDIS_PASSWORD: ' ' }).redisUrl, 'redis://127.0.0.1:6379');
  });

  it('reads the server hardening settings: the keys secret, sessions, timeouts', () => {
    const defaults = loadConfig({}).server;
    assert.equal(defaults.apiKeysSecretArn, undefined);
    assert.equal(defaults.apiKeysRefreshS, 300);
    assert.equal(defaults.sessionSecret, undefined);
    assert.equal(defaults.sessionTtlS, 28_800);
    assert.equal(defaults.requestTimeoutMs, 30_000);
    assert.equal(defaults.connectionTimeoutMs, 65_000);
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:Brewstream-ApiKeys-AbCdEf';
    assert.equal(loadConfig({ API_KEYS_SECRET_ARN: arn }).server.apiKeysSecretArn, arn);
    assert.throws(
      () =>
        loadConfig({
          API_KEYS_SECRET_ARN: 'Brewstream-ApiKeys',
          SESSION_SECRET: 'too-short',
          REQUEST_TIMEOUT_MS: '0',
        }),
      (error: Error) => {
        assert.match(
          error.message,
          /API_KEYS_SECRET_ARN: "Brewstream-ApiKeys" is not a Secrets Manager secret ARN/,
        );
        assert.match(error.message, /SESSION_SECRET: .*32/);
        assert.match(error.message, /REQUEST_TIMEOUT_MS: must be between 100/);
        // A secret is never echoed back.
        assert.doesNotMatch(error.message, /too-short/);
        return true;
      },
    );
  });

  it('treats blank values as unset', () => {
    assert.equal(loadConfig({ STREAM_NAME: '   ' }).streamName, 'beers');
  });
});
