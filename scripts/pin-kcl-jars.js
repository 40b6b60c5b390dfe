#!/usr/bin/env node
// Downloads every MultiLangDaemon jar the image needs and pins its SHA-256, on a machine that
// reaches Maven Central:
//   npm run kcl-jars:pin [-- --out FILE] [--jars-dir DIR]
// --out FILE      where the SHA-256 lines go (default consumers/amazon/kcl-jars.sha256)
// --jars-dir DIR  also put each verified jar in DIR: the image build's jar step (KCL_JARS=fetch,
//                 consumers/amazon/kcl-jars.sh) downloads with this tool
// The jars are the dependencies aws-kcl's pom.xml lists, read and named the way its kcl-bootstrap
// does. Each jar is downloaded with the .sha1 the repository publishes next to it; a jar whose
// SHA-1 differs is refused, and nothing is written (neither FILE nor any jar in DIR) unless every
// jar checks out. MAVEN_REPOSITORY overrides the repository (default https://repo1.maven.org/maven2:
// a mirror, or the tests' local stand-in).
// Exit status: 0 all pinned; 1 a jar refused (or not served); 2 bad arguments; 3 the repository
// cannot be reached (kcl-jars.sh then says how to build without Maven access).
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';

const HEADER = `# SHA-256 of every jar of Amazon's MultiLangDaemon that the image puts on java's classpath: the
# jars aws-kcl's pom.xml lists, named as its kcl-bootstrap names them.
# consumers/amazon/kcl-jars.sh checks them at build time (Dockerfile, KCL_JARS=fetch or dir) and
# fails the build on a missing, different or unlisted jar. One \`<sha256>  <artifact>-<version>.jar\`
# line per jar, the format of \`sha256sum\`; lines starting with # are comments.
#
# Written by \`npm run kcl-jars:pin\` (scripts/pin-kcl-jars.js), each jar checked against the SHA-1
# Maven Central publishes for it. Run it again whenever aws-kcl is upgraded.
`;

// No answer (or no end to the answer) within this long is an unreachable repository, not a hang.
// Generous: the largest jars are a few MB.
const DOWNLOAD_TIMEOUT_MS = 120_000;
// A few downloads at a time: 79 jars, some of them several MB.
const PARALLEL_DOWNLOADS = 6;

const UNREACHABLE = 3;

let options;
try {
  options = parseArgs({ options: { out: { type: 'string' }, 'jars-dir': { type: 'string' } } }).values;
} catch (error) {
  console.error(`pin-kcl-jars: ${error.message}\nusage: pin-kcl-jars.js [--out FILE] [--jars-dir DIR]`);
  process.exit(2);
}
// An empty MAVEN_REPOSITORY (a build argument left unset) means the default.
const repository = (process.env.MAVEN_REPOSITORY || 'https://repo1.maven.org/maven2').replace(/\/$/, '');
const out = options.out ?? 'consumers/amazon/kcl-jars.sha256';
const jarsDir = options['jars-dir'];

/** groupId, artifactId and version of each dependency in aws-kcl's pom.xml, as kcl-bootstrap reads them. */
function pomDependencies() {
  // Resolved from this file, so in the image (/app/scripts) it finds /app/node_modules/aws-kcl.
  const require = createRequire(import.meta.url);
  const pom = path.join(path.dirname(require.resolve('aws-kcl/package.json')), 'pom.xml');
  // xml-js is aws-kcl's own dependency, the parser kcl-bootstrap uses.
  const convert = createRequire(pom)('xml-js');
  const project = JSON.parse(convert.xml2json(readFileSync(pom, 'utf8'), { compact: true })).project;
  const properties = Object.fromEntries(
    Object.entries(project.properties ?? {}).map(([key, value]) => [`\${${key}}`, value._text]),
  );
  return [project.dependencies.dependency].flat().map((d) => ({
    groupId: d.groupId._text,
    artifactId: d.artifactId._text,
    version: properties[d.version._text] ?? d.version._text,
  }));
}

/** The repository could not be reached: refused, unresolved, reset or silent. */
class Unreachable extends Error {}

/** Why fetch failed, in a few words: undici hides the network error in `cause`. */
function networkReason(error) {
  if (error?.name === 'TimeoutError') return `no complete answer within ${DOWNLOAD_TIMEOUT_MS / 1000} s`;
  const cause = error?.cause;
  return cause?.message || cause?.code || error?.message || String(error);
}

async function download(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
    if (!response.ok) return { error: `${url}: HTTP ${response.status}` };
    return { body: Buffer.from(await response.arrayBuffer()) };
  } catch (error) {
    throw new Unreachable(`cannot reach ${repository}: ${networkReason(error)} (${url})`);
  }
}

/**
 * Downloads one jar and its published SHA-1; when they agree, writes the jar into `staging` (if
 * given) and returns its file name and SHA-256.
 */
async function pin({ groupId, artifactId, version }, staging) {
  const file = `${artifactId}-${version}.jar`;
  const url = `${repository}/${groupId.replaceAll('.', '/')}/${artifactId}/${version}/${file}`;
  const [jar, sha1File] = await Promise.all([download(url), download(`${url}.sha1`)]);
  const failed = jar.error ?? sha1File.error;
  if (failed) throw new Error(failed);
  // A .sha1 file holds the hex digest, sometimes followed by the file name.
  const published = sha1File.body.toString('utf8').trim().split(/\s+/)[0]?.toLowerCase();
  const actual = createHash('sha1').update(jar.body).digest('hex');
  if (published !== actual)
    throw new Error(`${file}: SHA-1 ${actual} differs from the published ${published} (${url}.sha1)`);
  if (staging) writeFileSync(path.join(staging, file), jar.body);
  return { file, sha256: createHash('sha256').update(jar.body).digest('hex') };
}

/** Downloads and checks every jar; the problems name each jar refused, or the unreachable repository. */
async function pinAll(dependencies, staging) {
  const pinned = [];
  const problems = [];
  let unreachable;
  const queue = [...dependencies];
  await Promise.all(
    Array.from({ length: PARALLEL_DOWNLOADS }, async () => {
      // Once the repository is unreachable, the other jars would only wait for the same answer.
      for (let next = queue.shift(); next && !unreachable; next = queue.shift()) {
        try {
          pinned.push(await pin(next, staging));
        } catch (error) {
          if (error instanceof Unreachable) unreachable ??= error.message;
          else problems.push(error instanceof Error ? error.message : String(error));
        }
      }
    }),
  );
  return { pinned, problems, unreachable };
}

/** A fresh folder beside DIR: jars are staged there and moved in only once every one checked out. */
function stagingFolder(dir) {
  const parent = path.dirname(path.resolve(dir));
  mkdirSync(parent, { recursive: true });
  return mkdtempSync(path.join(parent, `.${path.basename(dir)}-download-`));
}

/** Pins every jar of the pom; the exit status. */
async function main() {
  const staging = jarsDir ? stagingFolder(jarsDir) : undefined;
  try {
    const { pinned, problems, unreachable } = await pinAll(pomDependencies(), staging);
    const untouched = [out, jarsDir].filter(Boolean).join(' and ');
    if (unreachable) {
      console.error(`pin-kcl-jars: ${unreachable}\nnothing written (${untouched} left as it was)`);
      return UNREACHABLE;
    }
    if (problems.length > 0) {
      const list = problems.map((p) => `  - ${p}`).join('\n');
      console.error(`pin-kcl-jars: nothing written (${untouched} left as it was):\n${list}`);
      return 1;
    }
    pinned.sort((a, b) => a.file.localeCompare(b.file));
    writeFileSync(out, `${HEADER}\n${pinned.map((p) => `${p.sha256}  ${p.file}`).join('\n')}\n`);
    if (jarsDir && staging) {
      mkdirSync(jarsDir, { recursive: true });
      for (const { file } of pinned) renameSync(path.join(staging, file), path.join(jarsDir, file));
    }
    console.log(
      `pin-kcl-jars: ${pinned.length} jars from ${repository}, each matching its published SHA-1; ` +
        `their SHA-256 in ${out}${jarsDir ? `, the jars in ${jarsDir}` : ''}`,
    );
    return 0;
  } finally {
    if (staging) rmSync(staging, { recursive: true, force: true });
  }
}

process.exitCode = await main();
