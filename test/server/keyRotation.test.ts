// Keys rotated without a restart (issue 21): the server reads its API keys from Secrets Manager with
// the real @aws-sdk/client-secrets-manager client, against a Secrets Manager stand-in speaking the
// SDK's protocol, and real listeners. A key added to the secret works on its first request; unknown
// keys read the store at most once per interval; a removed key stops working on the next refresh;
// a store that is down, or a secret that is not a list of keys, leaves the cached keys in force
// and says so in the log, naming the secret; before the first read, guarded routes answer 503.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type SecretsManagerStandIn, startSecretsManagerStandIn } from '../support/secretsManagerStandIn.js';
import { startServer, type TestServer } from '../support/server.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { until, waitFor } from '../support/wait.js';

const KEY_A = 'rotation-key-a-0123456789';
const KEY_B = 'rotation-key-b-0123456789';
const KEY_C = 'rotation-key-c-0123456789';
const arn = (name: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`;

let stack: TestStack;
let store: SecretsManagerStandIn;
const servers: TestServer[] = [];

/** A server reading its keys from `secretArn`, on its own listener, logging to `lines`. */
async function serve(secretArn: string, refreshS: number) {
  const server = await startServer({
    stack,
    capture: true,
    env: {
      API_KEYS: 'an-env-key-that-is-ignored',
      API_KEYS_SECRET_ARN: secretArn,
      API_KEYS_REFRESH_S: String(refreshS),
    },
  });
  servers.push(server);
  const { url: base, lines } = server;
  /** A guarded route that needs no Redis: 404 (not a job) with a valid key, 401/403/503 otherwise. */
  const probe = async (key: string) => {
    const response = await fetch(`${base}/retrain/meta`, { headers: { 'x-api-key': key } });
    const body = (await response.json()) as { error: string; message: string };
    return { status: response.status, error: body.error, message: body.message };
  };
  return { base, lines, probe };
}

const logged = (lines: Array<Record<string, unknown>>, pattern: RegExp) =>
  lines.some((line) => typeof line.msg === 'string' && pattern.test(line.msg));

before(async () => {
  stack = await startTestStack({ stream: false });
  store = await startSecretsManagerStandIn();
  // The SDK's own endpoint variable, as for the S3 and Kinesis stand-ins.
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = store.endpoint;
});

after(async () => {
  for (const server of servers) await server.close();
  await store?.stop();
  await stack?.close();
});

describe('API keys from Secrets Manager', () => {
  test('a key added to the secret works on its first request; unknown keys read the store at most once per interval', async () => {
    const secret = arn('once-per-interval');
    store.put(secret, KEY_A);
    const { probe, lines } = await serve(secret, 60);
    await until('the first read', async () => (await probe(KEY_A)).status === 404);

    store.put(secret, `${KEY_A},${KEY_B}`);
    const before = store.reads;
    assert.equal((await probe(KEY_B)).status, 404, 'the new key works without a restart');
    assert.equal(store.reads, before + 1, 'one read, made for the unknown key');

    // Made-up keys (API_KEYS's among them) now cost no read until the interval (60 s) has passed...
    assert.equal((await probe('an-env-key-that-is-ignored')).status, 403);
    assert.ok(logged(lines, /API_KEYS is ignored/));
    for (let i = 0; i < 30; i += 1) assert.equal((await probe(`made-up-key-${i}-0123456789`)).status, 403);
    // ...which also means a key added meanwhile waits for the next refresh.
    store.put(secret, `${KEY_A},${KEY_B},${KEY_C}`);
    assert.equal((await probe(KEY_C)).status, 403);
    assert.equal(store.reads, before + 1, 'no further read within the interval');
    assert.ok(!JSON.stringify(lines).includes('rotation-key'), 'a key reached the log');
  });

  test('a removed key stops working at the next refresh, and so does a dashboard session opened with it', async () => {
    const secret = arn('removal');
    store.put(secret, `${KEY_A},${KEY_B}`);
    const { base, probe } = await serve(secret, 1);
    await until('the first read', async () => (await probe(KEY_A)).status === 404);
    const login = await fetch(`${base}/admin/queues?api_key=${KEY_A}`, { redirect: 'manual' });
    assert.equal(login.status, 303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const page = () => fetch(`${base}/admin/queues`, { headers: { cookie } });
    assert.equal((await page()).status, 200);

    store.put(secret, KEY_B);
    const removedAt = Date.now();
    const refused = await waitFor(
      'the removed key refused',
      () => probe(KEY_A),
      (answer) => answer.status !== 404,
      20_000,
      50,
    );
    assert.equal(refused.status, 403, refused.message);
    const after = Date.now() - removedAt;
    // Within the interval (1 s) of a periodic read; the bound only allows for a loaded machine.
    assert.ok(after < 10_000, `refused after ${after} ms`);
    assert.equal((await page()).status, 401, 'the session of a removed key still opens the dashboard');
    assert.equal((await probe(KEY_B)).status, 404);
  });

  test('a store that is down, or a secret that is not a list of keys, leaves the cached keys in force', async () => {
    const secret = arn('outage');
    store.put(secret, KEY_A);
    const { probe, lines } = await serve(secret, 1);
    await until('the first read', async () => (await probe(KEY_A)).status === 404);

    await store.stop();
    try {
      await until('a failed refresh logged', async () =>
        logged(
          lines,
          new RegExp(
            `API keys not refreshed from secret ${secret}: .*ECONNREFUSED; the 1 cached keys stay in force`,
          ),
        ),
      );
      assert.equal((await probe(KEY_A)).status, 404, 'the cached key stopped working');
      // An unknown key is still just wrong (its read fails at once), not a 503.
      assert.equal((await probe('made-up-key-while-down-0123')).status, 403);
    } finally {
      await store.start();
    }

    store.put(secret, `{"keys":["${KEY_B}"]}`);
    await until('the malformed secret logged', async () =>
      logged(lines, new RegExp(`${secret}: a JSON document; the keys are comma-separated`)),
    );
    assert.equal((await probe(KEY_A)).status, 404, 'a malformed secret replaced the cached keys');
    assert.equal((await probe(KEY_B)).status, 403);

    store.put(secret, KEY_C);
    await until('the fixed secret read', async () => (await probe(KEY_C)).status === 404);
    assert.equal((await probe(KEY_A)).status, 403);
    const warnings = lines.filter((line) => line.level === 40 && line.secret === secret);
    assert.ok(warnings.length >= 2, JSON.stringify(warnings));
    assert.ok(!JSON.stringify(lines).includes('rotation-key'), 'a key reached the log');
  });

  test('before the first read guarded routes answer 503, never open and never "wrong key"', async () => {
    const secret = arn('late-store');
    store.put(secret, KEY_A);
    await store.stop();
    let server: Awaited<ReturnType<typeof serve>>;
    try {
      server = await serve(secret, 1);
      const early = await server.probe(KEY_A);
      assert.deepEqual([early.status, early.error], [503, 'unavailable']);
      assert.match(early.message, /^Secrets Manager is unavailable: read the API keys/);
      assert.ok(!early.message.includes(secret), 'the 503 names the secret to the client');
      const anonymous = await fetch(`${server.base}/retrain/meta`);
      assert.equal(anonymous.status, 503);
      const unguarded = await fetch(`${server.base}/models`, { headers: { 'x-api-key': KEY_A } });
      assert.equal(unguarded.status, 200, 'a route without a key check needs no keys');
    } finally {
      await store.start();
    }
    await until(
      'the first read once the store is back',
      async () => (await server.probe(KEY_A)).status === 404,
    );
    assert.ok(logged(server.lines, /API keys first read: retrying/));
  });
});
