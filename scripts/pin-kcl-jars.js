#!/usr/bin/env node
// Pins the SHA-256 of every MultiLangDaemon jar the image needs (consumers/amazon/kcl-jars.sha256),
// on a machine that reaches Maven Central:
//   npm run kcl-jars:pin [-- --out FILE]
// The jars are the ones aws-kcl's kcl-bootstrap downloads: the dependencies its pom.xml lists, read
// the same way. Each jar is downloaded with the .sha1 Maven Central publishes next to it; a jar
// whose SHA-1 differs is refused, and nothing is written unless every jar checks out.
// MAVEN_REPOSITORY overrides the repository (default https://repo1.maven.org/maven2; the tests
// point it at a local server).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const HEADER = `# SHA-256 of every jar of Amazon's MultiLangDaemon that the image puts on java's classpath: the
# jars aws-kcl's pom.xml lists, named as its kcl-bootstrap names them.
# consumers/amazon/kcl-jars.sh checks them at build time (Dockerfile, KCL_JARS=fetch or dir) and
# fails the build on a missing, different or unlisted jar. One \`<sha256>  <artifact>-<version>.jar\`
# line per jar, the format of \`sha256sum\`; lines starting with # are comments.
#
# Written by \`npm run kcl-jars:pin\` (scripts/pin-kcl-jars.js), each jar checked against the SHA-1
# Maven Central publishes for it. Run it again whenever aws-kcl is upgraded.
`;

const repository = (process.env.MAVEN_REPOSITORY ?? 'https://repo1.maven.org/maven2').replace(/\/$/, '');
const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? process.argv[outIndex + 1] : 'consumers/amazon/kcl-jars.sha256';
if (!out) {
  console.error('usage: pin-kcl-jars.js [--out FILE]');
  process.exit(2);
}

/** groupId, artifactId and version of each dependency in aws-kcl's pom.xml, as kcl-bootstrap reads them. */
function pomDependencies() {
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

async function download(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

/** The jar's file name and SHA-256, after its SHA-1 matched the published one. */
async function pin({ groupId, artifactId, version }) {
  const file = `${artifactId}-${version}.jar`;
  const url = `${repository}/${groupId.replaceAll('.', '/')}/${artifactId}/${version}/${file}`;
  const [jar, sha1File] = await Promise.all([download(url), download(`${url}.sha1`)]);
  // A .sha1 file holds the hex digest, sometimes followed by the file name.
  const published = sha1File.toString('utf8').trim().split(/\s+/)[0]?.toLowerCase();
  const actual = createHash('sha1').update(jar).digest('hex');
  if (published !== actual)
    throw new Error(`${file}: SHA-1 ${actual} differs from the published ${published} (${url}.sha1)`);
  return { file, sha256: createHash('sha256').update(jar).digest('hex') };
}

const dependencies = pomDependencies();
const pinned = [];
const problems = [];
// A few downloads at a time: about 80 jars, some of them several MB.
const queue = [...dependencies];
await Promise.all(
  Array.from({ length: 6 }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      try {
        pinned.push(await pin(next));
      } catch (error) {
        problems.push(error instanceof Error ? error.message : String(error));
      }
    }
  }),
);
if (problems.length > 0) {
  console.error(`not pinned, ${out} left as it was:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
pinned.sort((a, b) => a.file.localeCompare(b.file));
writeFileSync(out, `${HEADER}\n${pinned.map((p) => `${p.sha256}  ${p.file}`).join('\n')}\n`);
console.log(`${out}: ${pinned.length} jars pinned from ${repository}`);
