// Narrowing for values parsed from outside (JSON from S3, Kinesis, a child process, an HTTP
// body), so the code that reads them checks a field's type instead of asserting the whole shape.

/** A JSON object: not null, not an array. Its fields are still unknown and must be checked. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
