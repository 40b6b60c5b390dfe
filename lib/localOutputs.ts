// What `npm start` writes to <LOCAL_DATA_DIR>/outputs.json once its stack is up, and removes when it
// stops: where each part of the local stack is, as a deployed stack's CloudFormation outputs say it
// for AWS. `npm run verify -- --local` reads it (docs/design.md "npm start").
import { type Static, Type } from 'typebox';
import { documentReader } from './document.js';

export const LOCAL_OUTPUTS_FILE = 'outputs.json';

export const localOutputsSchema = Type.Object({
  /** start.js's process id. */
  pid: Type.Integer(),
  apiUrl: Type.String(),
  region: Type.String(),
  kinesisEndpoint: Type.String(),
  s3Endpoint: Type.String(),
  /** The stand-ins' fixed key pair (not a secret: s3rver accepts only it). */
  standInCredentials: Type.Object({ accessKeyId: Type.String(), secretAccessKey: Type.String() }),
  /** Without its password, if it had one: REDIS_PASSWORD supplies it. */
  redisUrl: Type.String(),
  streamName: Type.String(),
  cleanedBucket: Type.String(),
  modelsBucket: Type.String(),
  queuePrefix: Type.String(),
  kclApplication: Type.String(),
  /** The Redis key of the cleaned consumer's lease (docs/design.md "Local KCL daemon keys"). */
  consumerLease: Type.String(),
});

export type LocalOutputs = Static<typeof localOutputsSchema>;

export const localOutputsDocument = documentReader(localOutputsSchema);

/** A Redis URL without its password, for a file on disk. */
export function withoutPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.toString();
}
