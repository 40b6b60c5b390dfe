// Cleaned table benchmark: a cold load of the table (a fresh S3 client, snapshot + the rows/ objects
// it does not cover) after a compaction, with 1,000 and with 20,000 synthetic rows/ objects on the
// S3 stand-in, and the GETs one load makes. The objects are what a stack writes at the default
// schedule: about 300 a day (BENCH_OBJECTS_PER_DAY) over 2 shards, dated back from today, each a
// few rows of a 5,000-beer catalogue. Also: the first load before any snapshot (every object read),
// the compaction, and arquero against the hand-written decoder for parsing and latest-arrival-wins
// over the 20,000 objects' text.
import { randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import * as aq from 'arquero';
import { s3Client } from '../lib/aws.js';
import type { CleanedRow } from '../lib/beer.js';
import { decodeCleanedCsv, encodeCleanedCsv } from '../lib/cleanedCsv.js';
import { rowsKey } from '../lib/cleanedKeys.js';
import { compactCleanedTable, loadCleanedTable } from '../lib/cleanedTable.js';
import { loadConfig } from '../lib/config.js';
import { ensureBucket, inParallel, putObject } from '../lib/s3.js';
import { applyObjects, arrivalOf } from '../lib/tableSnapshot.js';
import { S3RVER_CREDENTIALS, startS3StandIn } from '../local/s3StandIn.js';
import { seededRandom } from '../trainer/rng.js';
import { report } from './report.js';

const PER_DAY = Number(process.env.BENCH_OBJECTS_PER_DAY ?? 300);
const CATALOGUE = 5000;
const ROWS_PER_OBJECT = 3;
const COLD_LOADS = 3;

const standIn = await startS3StandIn({ port: 0 });
Object.assign(process.env, {
  AWS_REGION: 'us-east-1',
  ...S3RVER_CREDENTIALS,
  AWS_ENDPOINT_URL_S3: standIn.endpoint,
});
const config = loadConfig();

/** A client that counts the requests it sends, by command. */
function countingClient(): { s3: S3Client; counts: Map<string, number> } {
  const s3 = s3Client(config);
  const counts = new Map<string, number>();
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize' },
  );
  return { s3, counts };
}

interface Written {
  key: string;
  text: string;
  lastModified: Date;
}

async function writeObjects(s3: S3Client, bucket: string, count: number): Promise<Written[]> {
  const random = seededRandom(count);
  const now = Date.now();
  const objects = Array.from({ length: count }, (_, i) => {
    // Object i of count, the last one today: PER_DAY a day going back.
    const age = Math.floor((count - 1 - i) / PER_DAY);
    const dt = new Date(now - age * 86_400_000).toISOString().slice(0, 10);
    const rows: CleanedRow[] = Array.from({ length: ROWS_PER_OBJECT }, () => {
      const id = 1 + Math.floor(random() * CATALOGUE);
      return {
        id,
        name: `beer ${id}`,
        abv: Math.round((3 + random() * 8) * 10) / 10,
        ibu: Math.round(10 + random() * 90),
        target_fg: 1010,
        target_og: 1040 + Math.round(random() * 40),
        ebc: null,
        srm: Math.round(random() * 40),
        ph: 4.4,
      };
    });
    const key = rowsKey(dt, `shardId-00000000000${i % 2}`, String(10n ** 20n + BigInt(i)));
    return { key, text: encodeCleanedCsv(rows), lastModified: new Date() };
  });
  await inParallel(objects, 32, (o) => putObject(s3, bucket, o.key, o.text, 'text/csv'));
  return objects;
}

const seconds = (ms: number) => Math.round(ms) / 1000;
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function measure(count: number) {
  const bucket = `table-${count}-${randomBytes(3).toString('hex')}`;
  const writer = s3Client(config);
  await ensureBucket(writer, bucket);
  const written = await writeObjects(writer, bucket, count);
  writer.destroy();

  let started = performance.now();
  const first = countingClient();
  const loaded = await loadCleanedTable(first.s3, bucket);
  const firstLoad = performance.now() - started;
  started = performance.now();
  const compaction = await compactCleanedTable(first.s3, bucket, loaded);
  const compactS = performance.now() - started;
  first.s3.destroy();
  if (compaction.outcome !== 'written') throw new Error(`compaction: ${compaction.outcome}`);

  const loads: number[] = [];
  let gets = 0;
  let lists = 0;
  for (let k = 0; k < COLD_LOADS; k += 1) {
    const cold = countingClient();
    started = performance.now();
    const table = await loadCleanedTable(cold.s3, bucket);
    loads.push(performance.now() - started);
    if (table.contentHash !== loaded.contentHash)
      throw new Error('the snapshot is not the table it was made from');
    gets = cold.counts.get('GetObjectCommand') ?? 0;
    lists = cold.counts.get('ListObjectsV2Command') ?? 0;
    cold.s3.destroy();
  }
  return {
    written,
    rows: loaded.rows.length,
    firstLoadS: seconds(firstLoad),
    firstGets: first.counts.get('GetObjectCommand') ?? 0,
    compactS: seconds(compactS),
    loadS: seconds(median(loads)),
    gets,
    lists,
  };
}

/** Parse every object and keep the latest arrival per id: the hand-written decoder, then arquero. */
function parseAndMerge(written: Written[]) {
  let started = performance.now();
  const merged = applyObjects(
    new Map(),
    written.map((o) => ({
      key: o.key,
      arrival: arrivalOf(o.key, o.lastModified),
      rows: decodeCleanedCsv(o.text),
    })),
  );
  const hand = performance.now() - started;

  started = performance.now();
  const tables = written.map((o) =>
    aq
      .fromCSV(o.text, { parse: { name: String } })
      .derive({ arrival: aq.escape(() => arrivalOf(o.key, o.lastModified)), row: () => aq.op.row_number() }),
  );
  const all = (tables[0] as aq.ColumnTable).concat(...tables.slice(1));
  const latest = all.orderby(aq.desc('arrival'), aq.desc('row')).dedupe('id');
  const arquero = performance.now() - started;
  if (latest.numRows() !== merged.size)
    throw new Error(`arquero: ${latest.numRows()} ids, hand: ${merged.size}`);
  return { hand: seconds(hand), arquero: seconds(arquero) };
}

const small = await measure(1000);
const big = await measure(20_000);
const parse = parseAndMerge(big.written);
await standIn.close();

report(
  'table',
  {
    load_s_1k: small.loadS,
    load_s_20k: big.loadS,
    ratio_20k_1k: Math.round((big.loadS / small.loadS) * 100) / 100,
    gets_per_load_1k: small.gets,
    gets_per_load_20k: big.gets,
    lists_per_load_20k: big.lists,
    rows_1k: small.rows,
    rows_20k: big.rows,
    first_load_s_1k: small.firstLoadS,
    first_load_s_20k: big.firstLoadS,
    first_load_gets_20k: big.firstGets,
    compact_s_20k: big.compactS,
    parse_merge_s_20k_hand: parse.hand,
    parse_merge_s_20k_arquero: parse.arquero,
  },
  `${PER_DAY} objects a day, ${ROWS_PER_OBJECT} rows each of ${CATALOGUE} ids; cold load = median of ${COLD_LOADS}, fresh client, after one compaction; first load = before any snapshot`,
);
