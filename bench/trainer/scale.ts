// The trainer at table size (issue 25): one retrain, through the real loader and runTraining, on a
// synthetic cleaned table of 100,000 and of 1,000,000 rows on the S3 stand-in. Each table is
// written as a consumer would leave it: rows/ objects of 10,000 rows (the default batch) dated
// over the last week, compacted into a snapshot, then one new batch of 1,000 rows on top; the
// retrain reads the snapshot and the batch, compacts them, samples (TRAIN_MAX_ROWS) and trains.
// The rows are the Punk API beers resampled with ±5% noise on every value, under distinct ids
// (so nearly every row is its own recipe group). The retrain runs in a child process of its own
// (`node scale.js retrain`), whose peak RSS (getrusage's maxrss) is the figure: the stand-in,
// which holds nothing a deployed trainer would, stays in this process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import beers from 'punkapi-db' with { type: 'json' };
import { s3Client } from '../../lib/aws.js';
import { type CleanedRow, cleanBeer, NUMERIC_COLUMNS } from '../../lib/beer.js';
import { encodeCleanedCsv } from '../../lib/cleanedCsv.js';
import { rowsKey } from '../../lib/cleanedKeys.js';
import { foldAndCompact } from '../../lib/cleanedTable.js';
import { loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
import { ensureBucket, inParallel, putObject } from '../../lib/s3.js';
import { S3RVER_CREDENTIALS, startS3StandIn } from '../../local/s3StandIn.js';
import { seededRandom } from '../../trainer/rng.js';
import { runTraining } from '../../trainer/train.js';

const BATCH_ROWS = 10_000;
const NEW_BATCH_ROWS = 1000;
const DAYS = 7;
const DAY_MS = 86_400_000;

export interface RetrainFigures {
  seconds: number;
  peakRssMiB: number;
  tableRows: number;
  trainingRows: number;
  promoted: boolean;
}

const punk: CleanedRow[] = beers.flatMap((beer) => {
  const result = cleanBeer(beer);
  return result.ok ? [result.row] : [];
});

/** Row `i` of every synthetic table: a Punk beer with ±5% noise on every value, id 1,000,000 + i. */
function syntheticRows(from: number, count: number, seed: number): CleanedRow[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const row = { ...(punk[i % punk.length] as CleanedRow), id: 1_000_000 + i };
    for (const c of NUMERIC_COLUMNS)
      if (row[c] !== null) row[c] = Math.round((row[c] as number) * (0.95 + random() * 0.1) * 1000) / 1000;
    return row;
  });
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Writes the table of `rows` rows into `bucket` and compacts it; then one new batch on top. */
async function writeTable(env: Record<string, string>, bucket: string, rows: number): Promise<void> {
  const s3 = s3Client(loadConfig({ ...process.env, ...env }));
  await ensureBucket(s3, bucket);
  const batches = Math.ceil(rows / BATCH_ROWS);
  const now = Date.now();
  await inParallel(
    Array.from({ length: batches }, (_, b) => b),
    4,
    async (b) => {
      const dt = dayOf(now - (DAYS - 1 - Math.floor((b * DAYS) / batches)) * DAY_MS);
      const batch = syntheticRows(b * BATCH_ROWS, Math.min(BATCH_ROWS, rows - b * BATCH_ROWS), b + 1);
      const key = rowsKey(dt, `shardId-00000000000${b % 2}`, String(10n ** 20n + BigInt(b)));
      await putObject(s3, bucket, key, encodeCleanedCsv(batch), 'text/csv');
    },
  );
  await foldAndCompact(s3, bucket, () => {});
  const fresh = syntheticRows(rows, NEW_BATCH_ROWS, 0);
  const key = rowsKey(dayOf(now), 'shardId-000000000000', String(10n ** 20n + BigInt(batches)));
  await putObject(s3, bucket, key, encodeCleanedCsv(fresh), 'text/csv');
  s3.destroy();
}

/** Runs one retrain in a child process against the stand-in, and returns its figures. */
function retrainInChild(env: Record<string, string>): Promise<RetrainFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'retrain'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`the retrain exited with ${code}`));
      resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? ''));
    });
  });
}

/** One retrain on a table of each size, smallest first; figures by size. */
export async function measureScale(sizes: number[]): Promise<Map<number, RetrainFigures>> {
  const standIn = await startS3StandIn({ port: 0 });
  const figures = new Map<number, RetrainFigures>();
  // The SDK reads its credentials from the environment, as every role does.
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    ...S3RVER_CREDENTIALS,
    AWS_ENDPOINT_URL_S3: standIn.endpoint,
  });
  try {
    for (const rows of sizes) {
      const env = {
        CLEANED_BUCKET: `scale-${rows}-cleaned`,
        MODELS_BUCKET: `scale-${rows}-models`,
        LOG_LEVEL: 'warn',
      };
      process.stderr.write(`  trainer scale: writing a table of ${rows.toLocaleString('en-US')} rows\n`);
      await writeTable(env, env.CLEANED_BUCKET, rows);
      const s3 = s3Client(loadConfig({ ...process.env, ...env }));
      await ensureBucket(s3, env.MODELS_BUCKET);
      s3.destroy();
      process.stderr.write(`  trainer scale: retraining on ${rows.toLocaleString('en-US')} rows\n`);
      figures.set(rows, await retrainInChild(env));
    }
  } finally {
    await standIn.close();
  }
  return figures;
}

/** The trainer benchmark's keys (docs/design.md "Benchmarks") for 100k- and 1M-row tables measured in one run. */
export async function scaleResults(): Promise<Record<string, number>> {
  const figures = await measureScale([100_000, 1_000_000]);
  const [small, big] = [figures.get(100_000), figures.get(1_000_000)];
  if (!small || !big) throw new Error('a table size was not measured');
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    train_s_1m: r(big.seconds),
    train_peak_rss_mib_1m: Math.round(big.peakRssMiB),
    train_rows_1m: big.trainingRows,
    train_s_100k_table: r(small.seconds),
    train_peak_rss_mib_100k: Math.round(small.peakRssMiB),
    train_rows_100k_table: small.trainingRows,
    train_s_ratio_1m_100k: r(big.seconds / small.seconds),
  };
}

if (process.argv[2] === 'retrain') {
  const config = loadConfig();
  const s3 = s3Client(config);
  const started = performance.now();
  const outcome = await runTraining({
    config,
    s3,
    logger: createLogger('trainer', { level: config.logLevel, stream: 'stderr' }),
  });
  const seconds = (performance.now() - started) / 1000;
  if ('skipped' in outcome) throw new Error(`the retrain was skipped: ${outcome.reason}`);
  s3.destroy();
  const figures: RetrainFigures = {
    seconds,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    tableRows: outcome.rows,
    trainingRows: outcome.trainingRows,
    promoted: outcome.promoted,
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // On its own (`node dist/bench/trainer/scale.js 20000 200000`): the figures, one line a size.
  const sizes = process.argv.slice(2).map(Number);
  const figures = await measureScale(sizes.length > 0 ? sizes : [100_000, 1_000_000]);
  for (const [rows, f] of figures) process.stdout.write(`${JSON.stringify({ rows, ...f })}\n`);
}
