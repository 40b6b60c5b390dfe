// One local stand-in as its own process, so a drill can stop it and start it again on the same port
// and data folder (kinesalite's LevelDB stays locked by the process that opened it):
//   node standInProcess.js <kinesis|s3> <port> <dataDir>
// Prints "ready <port>" once it listens; SIGTERM closes it and exits.
import { startKinesisStandIn } from '../../local/kinesisStandIn.js';
import { startS3StandIn } from '../../local/s3StandIn.js';

const [kind, port, dataDir] = process.argv.slice(2);
if ((kind !== 'kinesis' && kind !== 's3') || !port || !dataDir) {
  console.error('usage: standInProcess <kinesis|s3> <port> <dataDir>');
  process.exit(2);
}
const start = kind === 'kinesis' ? startKinesisStandIn : startS3StandIn;
const standIn = await start({ port: Number(port), dataDir });
process.once('SIGTERM', () => {
  void standIn.close().then(() => process.exit(0));
});
console.log(`ready ${standIn.port}`);
