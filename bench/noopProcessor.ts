// A MultiLang record processor that does nothing: `aws-kcl` reading the daemon's lines from stdin,
// parsing them and answering each action at once. The consumer benchmark runs it with the same
// lines as the cleaned processor: what it reaches is the most any aws-kcl processor can on this
// machine, the protocol's own cost, which the in-process decode ceiling leaves out by design.
import kcl from 'aws-kcl';

kcl({
  initialize: (_input, done) => done(),
  processRecords: (_input, done) => done(),
  leaseLost: (_input, done) => done(),
  shardEnded: (_input, done) => done(),
  shutdownRequested: (_input, done) => done(),
}).run();
process.stdin.once('end', () => process.exit(0));
