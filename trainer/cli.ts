// `brewstream train` (`npm run train`): one training by hand against the configured buckets, with
// per-epoch progress, the metrics table, and the two plots saved next to where it runs.
import { writeFile } from 'node:fs/promises';
import { s3Client } from '../lib/aws.js';
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { createRedis } from '../lib/redis.js';
import { runTraining } from './train.js';

export async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('train', { level: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const redis = createRedis(config.redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  });
  redis.on('error', () => {});
  await redis
    .connect()
    .catch(() => process.stderr.write('Redis does not answer: a promotion will not be announced\n'));
  const s3 = s3Client(config);
  const outcome = await runTraining({
    config,
    s3,
    redis,
    logger,
    // Asked for by hand: train even on the table the last version was trained on.
    force: true,
    onEpoch: ({ epoch, maxEpochs, loss, val_loss }) => {
      if (epoch === 1 || epoch % 10 === 0) {
        process.stderr.write(
          `epoch ${String(epoch).padStart(4)}/${maxEpochs}  loss ${loss.toFixed(4)}  val_loss ${val_loss.toFixed(4)}\n`,
        );
      }
    },
  });
  if ('skipped' in outcome) throw new Error(`unexpected: ${outcome.reason}`);
  // A metric that is not a number is recorded as null (JSON has no NaN).
  const fixed = (x: number | null, digits: number) => (x === null ? 'NaN' : x.toFixed(digits));
  const row = (name: string, m: { mae: number | null; rmse: number | null; r2: number | null }) =>
    `${name.padEnd(28)} ${fixed(m.mae, 2).padStart(8)} ${fixed(m.rmse, 2).padStart(8)} ${fixed(m.r2, 3).padStart(7)}`;
  const lines = [
    '',
    `version ${outcome.version}  (${outcome.rows} rows, backend ${outcome.backend}, ${outcome.trainingSeconds.toFixed(1)} s)`,
    `${'test split'.padEnd(28)} ${'MAE'.padStart(8)} ${'RMSE'.padStart(8)} ${'R²'.padStart(7)}`,
    row('tfjs model', outcome.metrics.model),
    ...Object.entries(outcome.metrics.baselines ?? { linear: outcome.metrics.baseline }).map(([name, m]) =>
      row(`${name} baseline`, m),
    ),
    ...(outcome.metrics.champion
      ? [row(`champion ${outcome.metrics.champion.version}`, outcome.metrics.champion)]
      : []),
    outcome.reason,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await writeFile(`curves-${outcome.version}.svg`, outcome.plots.curves);
  await writeFile(`predicted-vs-actual-${outcome.version}.svg`, outcome.plots.predictedVsActual);
  process.stdout.write(`plots: curves-${outcome.version}.svg, predicted-vs-actual-${outcome.version}.svg\n`);
  redis.disconnect();
  s3.destroy();
}
