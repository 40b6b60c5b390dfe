// `npm run peek`: reads the local stream back from every shard and prints, per shard, how many
// records it holds and how many distinct beer ids: a check that the producer's records landed.
import { kinesisClient } from '../lib/aws.js';
import { loadConfig } from '../lib/config.js';
import { readStream } from './readStream.js';

const env = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_ENDPOINT_URL_KINESIS: `http://127.0.0.1:${process.env.KINESIS_PORT ?? 4567}`,
  ...process.env,
};
Object.assign(process.env, env);
const config = loadConfig(env);
const kinesis = kinesisClient(config);
const shards = await readStream(kinesis, config.streamName);
const all = new Set<string>();
for (const shard of shards) {
  for (const id of shard.ids) all.add(id);
  console.log(`${shard.shardId}: ${shard.records} records, ${shard.ids.size} distinct ids`);
}
console.log(
  `stream ${config.streamName}: ${shards.reduce((n, s) => n + s.records, 0)} records, ${all.size} distinct ids`,
);
kinesis.destroy();
