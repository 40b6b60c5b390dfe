// The AWS launch path without Amazon's jars (not fetchable here): a stand-in `java` executable
// records its arguments and the signal it gets, so the command, the SIGTERM hand-off and the exit
// status are checked on a real child process.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../../lib/errors.js';
import {
  daemonArgs,
  jarsBuiltWith,
  noJarsProblem,
  parseJarsRecord,
  readJarsRecord,
  runAmazonDaemon,
  unpinnedJarsWarning,
} from './amazonDaemon.js';

let dir: string;
let java: string;

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'amazon-daemon-'));
  java = path.join(dir, 'java');
  // Exits with $FAKE_JAVA_EXIT at once, or else waits for SIGTERM and exits 143 like the JVM.
  writeFileSync(
    java,
    `#!${process.execPath}
const fs = require('node:fs');
if (process.env.FAKE_JAVA_EXIT) process.exit(Number(process.env.FAKE_JAVA_EXIT));
// The handler goes in before args.json, which is what the test waits for: a SIGTERM sent as soon
// as the file exists must find it installed.
process.on('SIGTERM', () => { fs.writeFileSync(${JSON.stringify(path.join(dir, 'signal'))}, 'SIGTERM'); process.exit(143); });
fs.writeFileSync(${JSON.stringify(path.join(dir, 'args.json'))}, JSON.stringify(process.argv.slice(2)));
setInterval(() => {}, 1000);
`,
  );
  chmodSync(java, 0o755);
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('Amazon MultiLangDaemon launch', () => {
  test('refuses to start without the jars, saying where they should be, as a message for people', () => {
    assert.throws(
      () => daemonArgs(path.join(dir, 'no-jars'), '/tmp/x.properties'),
      (error) => error instanceof ConfigError && /no MultiLangDaemon jars in .*no-jars/.test(error.message),
    );
  });

  test('an image built with KCL_JARS=skip says so when the Amazon path starts', () => {
    const jars = path.join(dir, 'skipped');
    mkdirSync(jars);
    writeFileSync(path.join(jars, 'kcl-jars.txt'), 'KCL_JARS=skip\n');
    assert.equal(jarsBuiltWith(jars), 'skip');
    assert.throws(
      () => daemonArgs(jars, '/tmp/x.properties'),
      (error) =>
        error instanceof ConfigError &&
        error.message.includes('built with --build-arg KCL_JARS=skip') &&
        error.message.includes('KCL_DAEMON=local'),
    );
  });

  test('the reason for missing jars depends on how the image was built', () => {
    // Outside an image: the image's own download step, not a second way to fetch them.
    assert.match(
      noJarsProblem('/j', undefined),
      /no MultiLangDaemon jars in \/j\. .*sh consumers\/amazon\/kcl-jars\.sh fetch \/j$/,
    );
    assert.match(noJarsProblem('/j', 'fetch'), /image build put them there \(KCL_JARS=fetch\): rebuild/);
    assert.match(noJarsProblem('/j', 'skip'), /KCL_JARS=skip, so it has no MultiLangDaemon jars \(\/j\)/);
    assert.equal(jarsBuiltWith(path.join(dir, 'nowhere')), undefined);
  });

  test('reads how the jars were put in, and whether they were pinned, from the record', () => {
    assert.deepEqual(parseJarsRecord('KCL_JARS=fetch\n'), { builtWith: 'fetch', pinned: true });
    assert.deepEqual(parseJarsRecord('KCL_JARS=fetch\nKCL_JARS_PINNED=no\n'), {
      builtWith: 'fetch',
      pinned: false,
    });
    assert.deepEqual(parseJarsRecord('KCL_JARS=dir\n'), { builtWith: 'dir', pinned: true });
    // Only the exact line unpins: a look-alike does not.
    assert.equal(parseJarsRecord('KCL_JARS=fetch\nKCL_JARS_PINNED=nope\n').pinned, true);
    assert.deepEqual(parseJarsRecord(''), { builtWith: undefined, pinned: true });

    const jars = path.join(dir, 'unpinned');
    mkdirSync(jars);
    writeFileSync(path.join(jars, 'kcl-jars.txt'), 'KCL_JARS=fetch\nKCL_JARS_PINNED=no\n');
    assert.deepEqual(readJarsRecord(jars), { builtWith: 'fetch', pinned: false });
    assert.equal(jarsBuiltWith(jars), 'fetch', 'the second line leaves KCL_JARS as it was');
    assert.equal(readJarsRecord(path.join(dir, 'nowhere')), undefined);
  });

  test('warns at start about unpinned jars only, saying what was checked and how to pin them', () => {
    const warning = unpinnedJarsWarning('/j', { builtWith: 'fetch', pinned: false });
    assert.ok(warning);
    assert.match(warning, /jars in \/j are not pinned \(KCL_JARS_PINNED=no\)/);
    assert.match(warning, /only against the SHA-1 Maven Central publishes/);
    assert.match(warning, /npm run kcl-jars:pin/);
    assert.match(warning, /rebuild the image/);
    assert.equal(unpinnedJarsWarning('/j', { builtWith: 'fetch', pinned: true }), undefined);
    assert.equal(unpinnedJarsWarning('/j', { builtWith: 'dir', pinned: true }), undefined);
    assert.equal(unpinnedJarsWarning('/j', undefined), undefined, 'outside an image nothing is recorded');
  });

  test('runs MultiLangDaemon with every jar and the properties folder on the classpath', () => {
    const jars = path.join(dir, 'jars');
    mkdirSync(jars);
    for (const jar of ['b.jar', 'a.jar']) writeFileSync(path.join(jars, jar), '');
    writeFileSync(path.join(jars, 'README'), '');
    const args = daemonArgs(jars, '/etc/kcl/cleaned.properties');
    assert.deepEqual(args, [
      '-cp',
      [path.join(jars, 'a.jar'), path.join(jars, 'b.jar'), '/etc/kcl'].join(path.delimiter),
      'software.amazon.kinesis.multilang.MultiLangDaemon',
      '--properties-file',
      '/etc/kcl/cleaned.properties',
    ]);
  });

  test('passes our logging configuration to the daemon when given', () => {
    const jars = path.join(dir, 'jars-logging');
    mkdirSync(jars);
    writeFileSync(path.join(jars, 'a.jar'), '');
    const args = daemonArgs(jars, '/etc/kcl/cleaned.properties', '/app/consumers/amazon/logback.xml');
    assert.deepEqual(args.slice(-4), [
      '--properties-file',
      '/etc/kcl/cleaned.properties',
      '--log-configuration',
      '/app/consumers/amazon/logback.xml',
    ]);
  });

  test('forwards SIGTERM to the daemon and resolves once it has exited', async () => {
    const running = runAmazonDaemon({ java, args: ['--properties-file', 'p'] });
    const argsFile = path.join(dir, 'args.json');
    while (!existsSync(argsFile)) await new Promise((r) => setTimeout(r, 20));
    process.kill(process.pid, 'SIGTERM');
    await running;
    assert.equal(readFileSync(path.join(dir, 'signal'), 'utf8'), 'SIGTERM');
    assert.deepEqual(JSON.parse(readFileSync(argsFile, 'utf8')), ['--properties-file', 'p']);
  });

  test('a daemon that dies on its own is an error naming its exit code', async () => {
    process.env.FAKE_JAVA_EXIT = '3';
    try {
      await assert.rejects(runAmazonDaemon({ java, args: [] }), /MultiLangDaemon exited with code 3/);
    } finally {
      delete process.env.FAKE_JAVA_EXIT;
    }
  });

  test('a missing java is an error naming it', async () => {
    await assert.rejects(runAmazonDaemon({ java: path.join(dir, 'nope'), args: [] }), /cannot start .*nope/);
  });
});
