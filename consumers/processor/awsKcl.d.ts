// Typings for the parts of the `aws-kcl` package (MultiLang protocol, v2 processor interface) we use.
declare module 'aws-kcl' {
  export interface KclRecord {
    data: string; // base64
    partitionKey: string;
    sequenceNumber: string;
    subSequenceNumber?: number;
    approximateArrivalTimestamp?: number; // epoch ms
  }
  export interface Checkpointer {
    checkpoint(
      sequenceNumber: string | null,
      callback: (error: unknown, sequenceNumber?: string) => void,
    ): void;
    checkpoint(callback: (error: unknown, sequenceNumber?: string) => void): void;
  }
  export interface RecordProcessor {
    initialize(
      input: { shardId: string; sequenceNumber?: string; subSequenceNumber?: number },
      done: () => void,
    ): void;
    processRecords(
      input: { records: KclRecord[]; millisBehindLatest?: number; checkpointer: Checkpointer },
      done: () => void,
    ): void;
    leaseLost(input: Record<string, never>, done: () => void): void;
    shardEnded(input: { checkpointer: Checkpointer }, done: () => void): void;
    shutdownRequested(input: { checkpointer: Checkpointer }, done: () => void): void;
  }
  function kcl(
    processor: RecordProcessor,
    input?: NodeJS.ReadableStream,
    output?: NodeJS.WritableStream,
    error?: NodeJS.WritableStream,
  ): { run(): void };
  export default kcl;
}
