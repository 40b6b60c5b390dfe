// `brewstream processor <cleaned|raw>`: one MultiLang record processor. Amazon's MultiLangDaemon
// (on AWS) or the local daemon spawns one per shard; stdin/stdout carry the protocol, so every
// log line goes to stderr.

import type { S3Client } from '@aws-sdk/client-s3';
import kcl from 'aws-kcl';
import { SDK_RETRIES_OFF, s3Client } from '../../lib/aws.js';
import { type Config, loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
import { consumerName } from '../application.js';
import { retrainTrigger } from '../cleaned/retrainTrigger.js';
import { cleanedSink } from '../cleaned/sink.js';
import { streamMetrics } from '../metrics/streamMetrics.js';
import { rawSink } from '../raw/sink.js';
import { batchingProcessor } from './batchingProcessor.js';

/** The processor's S3 client: its sink calls run under the processor's retry policy (WRITE_RETRY), so the SDK's retries are off. */
export function processorS3Client(config: Config): S3Client {
  return s3Client(config, SDK_RETRIES_OFF);
}

export async function main(args: string[]): Promise<void> {
  const name = consumerName('processor', args);
  const config = loadConfig();
  const logger = createLogger(`processor-${name}`, { level: config.logLevel, stream: 'stderr' });
  const s3 = processorS3Client(config);
  const bounds = {
    maxRecords: config.consumer.batchMaxRecords,
    maxBytes: config.consumer.batchMaxBytes,
    maxAgeMs: config.consumer.batchMaxAgeMs,
  };
  // Records, lag, freshness and dead letters for the operators' page (lib/streamMetrics.ts).
  const metrics = streamMetrics(config, name, logger);
  const processor =
    name === 'cleaned'
      ? batchingProcessor(
          metrics.sink(
            cleanedSink({
              s3,
              bucket: config.buckets.cleaned,
              maxRecordBytes: config.consumer.maxRecordBytes,
              logger,
              trigger: retrainTrigger(config, logger),
            }),
            (item) => ('reason' in item ? item.reason : undefined),
          ),
          { bounds, logger },
        )
      : batchingProcessor(
          metrics.sink(
            rawSink({ s3, bucket: config.buckets.raw, streamName: config.streamName }),
            () => undefined,
          ),
          { bounds, logger },
        );
  kcl(metrics.processor(processor)).run();
  // The daemon ends a processor by closing stdin (after shutdownRequested or shardEnded) or by a signal.
  process.stdin.once('end', () => {
    void metrics.flush();
    setTimeout(() => process.exit(0), 100);
  });
  // A signal to the whole process group (Ctrl-C, a container stop) reaches the processor too, but
  // its daemon drives the shutdown (shutdownRequested: flush and checkpoint, then stdin closes).
  // Only if the daemon never does, exit after a grace period.
  process.on('SIGTERM', () => {
    logger.info('SIGTERM: waiting for the daemon to shut this processor down');
    setTimeout(() => process.exit(0), 20_000).unref();
  });
  process.on('SIGINT', () => {});
}
