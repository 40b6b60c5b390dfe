// Runs Amazon's MultiLangDaemon (the AWS path, KCL_DAEMON=amazon) as our own child: the same java
// command aws-kcl's `kcl-bootstrap -e` prints, but kcl-bootstrap spawns java and forgets it, so a
// SIGTERM never reached the daemon (no graceful lease hand-off, shutdownGraceMillis unused) and a
// crashed daemon still exited 0. Here the signal is forwarded and java's exit is ours.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ConfigError } from '../../lib/errors.js';

const MAIN_CLASS = 'software.amazon.kinesis.multilang.MultiLangDaemon';

/** Where the image build (consumers/amazon/kcl-jars.sh, Dockerfile) puts the jars. */
export function defaultJarsDir(): string {
  const bootstrap = createRequire(import.meta.url).resolve('aws-kcl/bin/kcl-bootstrap');
  return path.resolve(path.dirname(bootstrap), '..', 'lib', 'jars');
}

export function javaExecutable(env: NodeJS.ProcessEnv = process.env): string {
  return env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : '/usr/bin/java';
}

/** The jar files in the folder (none when it does not exist). */
export function listJars(jarsDir: string): string[] {
  return existsSync(jarsDir) ? readdirSync(jarsDir).filter((f) => f.endsWith('.jar')) : [];
}

/** What the image build's jar step (consumers/amazon/kcl-jars.sh) recorded in kcl-jars.txt. */
export interface JarsRecord {
  /** KCL_JARS: fetch, dir or skip. */
  builtWith: string | undefined;
  /** false after a fetch while kcl-jars.sha256 pinned nothing (KCL_JARS_PINNED=no). */
  pinned: boolean;
}

export function parseJarsRecord(text: string): JarsRecord {
  return {
    builtWith: /^KCL_JARS=(\w+)/m.exec(text)?.[1],
    pinned: !/^KCL_JARS_PINNED=no$/m.test(text),
  };
}

/** The jar step's record; undefined outside an image (no kcl-jars.txt). */
export function readJarsRecord(jarsDir: string): JarsRecord | undefined {
  const record = path.join(jarsDir, 'kcl-jars.txt');
  return existsSync(record) ? parseJarsRecord(readFileSync(record, 'utf8')) : undefined;
}

/** The image build's KCL_JARS (fetch, dir or skip), recorded by kcl-jars.sh; undefined outside an image. */
export function jarsBuiltWith(jarsDir: string): string | undefined {
  return readJarsRecord(jarsDir)?.builtWith;
}

/** The start-up warning of an image whose jars were fetched while nothing was pinned; else undefined. */
export function unpinnedJarsWarning(jarsDir: string, record: JarsRecord | undefined): string | undefined {
  if (!record || record.pinned) return undefined;
  return (
    `the MultiLangDaemon jars in ${jarsDir} are not pinned (KCL_JARS_PINNED=no): the image build checked ` +
    `each only against the SHA-1 Maven Central publishes beside it, an intact download but not a pinned ` +
    `supply chain. To pin them: npm run kcl-jars:pin on a machine that reaches Maven Central, commit ` +
    `consumers/amazon/kcl-jars.sha256, and rebuild the image (README.md "Container image").`
  );
}

/** Why the Amazon path cannot start without jars, and what to do, by how the image was built. */
export function noJarsProblem(jarsDir: string, builtWith: string | undefined): string {
  if (builtWith === 'skip')
    return (
      `KCL_DAEMON=amazon: this image was built with --build-arg KCL_JARS=skip, so it has no MultiLangDaemon ` +
      `jars (${jarsDir}) and cannot run Amazon's MultiLangDaemon. Build it with KCL_JARS=fetch (the default, ` +
      `from Maven Central) or KCL_JARS=dir (README.md "Container image"), or use KCL_DAEMON=local.`
    );
  if (builtWith !== undefined)
    return `KCL_DAEMON=amazon: no MultiLangDaemon jars in ${jarsDir}, though the image build put them there (KCL_JARS=${builtWith}): rebuild the image.`;
  return (
    `KCL_DAEMON=amazon: no MultiLangDaemon jars in ${jarsDir}. The image build puts them there (Dockerfile, ` +
    `KCL_JARS); outside an image download them the same way, from the repository's folder: ` +
    `sh consumers/amazon/kcl-jars.sh fetch ${jarsDir}`
  );
}

/**
 * java's arguments: every jar, plus the properties file's folder (KCL also loads it as a
 * resource), and our logging configuration (consumers/amazon/logback.xml) when given.
 */
export function daemonArgs(jarsDir: string, propertiesFile: string, logConfiguration?: string): string[] {
  const jars = listJars(jarsDir);
  if (jars.length === 0) throw new ConfigError([noJarsProblem(jarsDir, jarsBuiltWith(jarsDir))]);
  const classpath = [...jars.sort().map((f) => path.join(jarsDir, f)), path.dirname(propertiesFile)];
  const logging = logConfiguration ? ['--log-configuration', logConfiguration] : [];
  return ['-cp', classpath.join(path.delimiter), MAIN_CLASS, '--properties-file', propertiesFile, ...logging];
}

/**
 * Starts the daemon and resolves when it exits after a SIGTERM or SIGINT we forwarded, or with 0;
 * rejects on any other exit, so the container exits non-zero and ECS reports the crash.
 */
export function runAmazonDaemon(options: { java: string; args: string[] }): Promise<void> {
  const child = spawn(options.java, options.args, { stdio: 'inherit' });
  let stopping = false;
  const forward = (signal: NodeJS.Signals) => () => {
    stopping = true;
    child.kill(signal);
  };
  const onTerm = forward('SIGTERM');
  const onInt = forward('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  return new Promise<void>((resolve, reject) => {
    child.on('error', (error) => reject(new Error(`cannot start ${options.java}: ${error.message}`)));
    child.on('exit', (code, signal) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      if (code === 0 || stopping) resolve();
      else reject(new Error(`MultiLangDaemon exited with ${signal ?? `code ${code}`}`));
    });
  });
}
