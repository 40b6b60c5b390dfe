import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bannerText, localBaseUrl, noModelYetText, predictCurl } from './banner.js';

const open = { baseUrl: 'http://127.0.0.1:3000', keys: false, predictNeedsKey: false };

describe('localBaseUrl', () => {
  it('points a wildcard listener at loopback and brackets IPv6 literals', () => {
    assert.equal(localBaseUrl('127.0.0.1', 3000), 'http://127.0.0.1:3000');
    assert.equal(localBaseUrl('0.0.0.0', 8080), 'http://127.0.0.1:8080');
    assert.equal(localBaseUrl('::', 8080), 'http://127.0.0.1:8080');
    assert.equal(localBaseUrl('::1', 3000), 'http://[::1]:3000');
    assert.equal(localBaseUrl('localhost', 3000), 'http://localhost:3000');
  });
});

describe('predictCurl', () => {
  it('is a command a shell runs as it is', () => {
    assert.equal(
      predictCurl(open),
      `curl -s http://127.0.0.1:3000/predict -H 'content-type: application/json' -d '{"abv":4.5,"target_og":1044}'`,
    );
  });

  it('takes the key from the shell when predictions need one, never printing it', () => {
    assert.equal(
      predictCurl({ ...open, keys: true, predictNeedsKey: true }),
      `curl -s http://127.0.0.1:3000/predict -H 'content-type: application/json' -H "x-api-key: $API_KEY" -d '{"abv":4.5,"target_og":1044}'`,
    );
  });
});

describe('bannerText', () => {
  it('names the model, the time to the first prediction and where everything is', () => {
    const text = bannerText(open, '20260101T000000000Z-abcdef', 42_345);
    const lines = text.split('\n');
    assert.ok(
      lines.includes(
        'brewstream is serving predictions: model 20260101T000000000Z-abcdef, first prediction served 42.3 s after start',
      ),
      text,
    );
    assert.ok(lines.includes('  API        http://127.0.0.1:3000'), text);
    assert.ok(lines.includes('  API docs   http://127.0.0.1:3000/docs'), text);
    assert.ok(lines.includes('  Dashboard  http://127.0.0.1:3000/admin/queues'), text);
    assert.ok(
      lines.some((line) => line.startsWith('  Predict    curl -s http://127.0.0.1:3000/predict ')),
      text,
    );
    assert.ok(
      lines.some((line) => line.startsWith('  Stop       Ctrl-C')),
      text,
    );
    assert.doesNotMatch(text, /api_key|API_KEY/);
  });

  it('says how to open the dashboard and predict when keys are set', () => {
    const text = bannerText({ ...open, keys: true, predictNeedsKey: true }, 'v', 1000);
    assert.match(text, /open it once as \/admin\/queues\?api_key=<one of API_KEYS>/);
    assert.match(text, /export API_KEY=<one of API_KEYS> first/);
  });

  it('asks for no key on predictions when only the dashboard needs one', () => {
    const text = bannerText({ ...open, keys: true }, 'v', 1000);
    assert.match(text, /api_key=/);
    assert.doesNotMatch(text, /x-api-key|export API_KEY/);
  });
});

describe('noModelYetText', () => {
  it('says there is no model yet, what the server said, and where things are', () => {
    const text = noModelYetText(open, 120_000, 'no-model');
    assert.match(
      text,
      /no model to serve yet, 120\.0 s after start \(the server's \/ready says "no-model"\)/,
    );
    assert.match(text, /Dashboard {2}http:\/\/127\.0\.0\.1:3000\/admin\/queues/);
    assert.doesNotMatch(text, /first prediction served/);
  });

  it('says so when the server does not answer', () => {
    assert.match(noModelYetText(open, 120_000, undefined), /the server does not answer yet/);
  });
});
