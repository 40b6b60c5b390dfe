import type { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { DependencyError, S3AccessDeniedError } from './errors.js';

// Every failure leaves this module as a DependencyError naming the operation and the object (a 403
// on a read as S3AccessDeniedError), its cause the SDK's error: callers and the HTTP mapping see
// which key failed, and the retry policy sees the cause's retryability.
async function s3Call<T>(verb: string, bucket: string, key: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DependencyError) throw error;
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const denied = (error as { name?: unknown }).name === 'AccessDenied' || status === 403;
    if (denied && (verb === 'GET' || verb === 'HEAD')) throw new S3AccessDeniedError(bucket, key, error);
    throw new DependencyError('S3', `${verb} s3://${bucket}/${key}`, error);
  }
}

export interface ObjectSummary {
  key: string;
  size: number;
  lastModified: Date;
}

/** Every object under `prefix` (after `startAfter`, when given), through the SDK's paginator. */
export async function listObjects(
  s3: S3Client,
  bucket: string,
  prefix: string,
  startAfter?: string,
): Promise<ObjectSummary[]> {
  return s3Call('LIST', bucket, prefix, async () => {
    const objects: ObjectSummary[] = [];
    for await (const page of paginateListObjectsV2(
      { client: s3 },
      { Bucket: bucket, Prefix: prefix, StartAfter: startAfter },
    )) {
      for (const item of page.Contents ?? []) {
        if (item.Key)
          objects.push({
            key: item.Key,
            size: item.Size ?? 0,
            lastModified: item.LastModified ?? new Date(0),
          });
      }
    }
    return objects;
  });
}

export async function getObjectBytes(s3: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  return s3Call('GET', bucket, key, async () => {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!response.Body) throw new Error('empty response body');
    return response.Body.transformToByteArray();
  });
}

export async function getObjectText(s3: S3Client, bucket: string, key: string): Promise<string> {
  return Buffer.from(await getObjectBytes(s3, bucket, key)).toString('utf8');
}

/**
 * The object's bytes as they arrive, for reading an object too large to hold whole; undefined when
 * the key does not exist (404 only). A failure while reading is a DependencyError as any other.
 */
export async function getObjectChunks(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<AsyncIterable<Uint8Array> | undefined> {
  let body: ReadableStream<Uint8Array>;
  try {
    body = await s3Call('GET', bucket, key, async () => {
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!response.Body) throw new Error('empty response body');
      return response.Body.transformToWebStream();
    });
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  return (async function* () {
    try {
      yield* body;
    } catch (error) {
      throw new DependencyError('S3', `GET s3://${bucket}/${key}`, error);
    }
  })();
}

/** A missing key: 404 (NoSuchKey from GET, NotFound from HEAD). */
export const isMissing = (error: unknown) => {
  const code = error instanceof DependencyError ? error.code : (error as { name?: unknown } | null)?.name;
  return code === 'NoSuchKey' || code === 'NotFound';
};

/** Returns the object's text, or undefined when the key does not exist (404 only). */
export async function getObjectTextIfExists(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<string | undefined> {
  try {
    return await getObjectText(s3, bucket, key);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/**
 * Writes an object; resolves only once S3 has acknowledged it (durable). A stream body is sent in
 * parts as it is produced (lib-storage's multipart Upload), never held whole.
 */
export async function putObject(
  s3: S3Client,
  bucket: string,
  key: string,
  body: string | Uint8Array | Readable,
  contentType: string,
  metadata?: Record<string, string>,
): Promise<void> {
  await s3Call('PUT', bucket, key, () =>
    new Upload({
      client: s3,
      params: { Bucket: bucket, Key: key, Body: body, ContentType: contentType, Metadata: metadata },
    }).done(),
  );
}

/**
 * What a conditional PUT's failure means: 'exists' when S3 refused it because the key already holds
 * an object (412 PreconditionFailed), 'conflict' when another conditional write on the same key was
 * in flight (409 ConditionalRequestConflict: "On a 409 failure you should retry the upload", the
 * PutObject API reference on IfNoneMatch), 'other' for anything else.
 */
export function conditionalPutFailure(error: unknown): 'exists' | 'conflict' | 'other' {
  const { name, $metadata } = (error ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } };
  if (name === 'PreconditionFailed' || $metadata?.httpStatusCode === 412) return 'exists';
  if (name === 'ConditionalRequestConflict' || $metadata?.httpStatusCode === 409) return 'conflict';
  return 'other';
}

/**
 * Writes an object only if its key is free, in one atomic step on S3's side (`If-None-Match: *`,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html): 'written' once S3
 * has acknowledged it (durable), 'exists' when an object was already there (it is left as it is).
 * A single PutObject, not lib-storage's Upload: Upload switches to multipart above 5 MB and a
 * batch may be larger; one PUT takes up to 5 GB. Any other failure is thrown, a 409
 * ConditionalRequestConflict included: the caller's retry policy retries it (lib/retry.ts counts it
 * retryable), and the retry then sees 412 or wins.
 */
export async function putObjectIfAbsent(
  s3: S3Client,
  bucket: string,
  key: string,
  body: string | Uint8Array,
  contentType: string,
  metadata?: Record<string, string>,
): Promise<'written' | 'exists'> {
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        Metadata: metadata,
        IfNoneMatch: '*',
      }),
    );
    return 'written';
  } catch (error) {
    if (conditionalPutFailure(error) === 'exists') return 'exists';
    throw new DependencyError('S3', `PUT (if absent) s3://${bucket}/${key}`, error);
  }
}

/** The object's user metadata, or undefined when the key does not exist. */
export async function headMetadata(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<Record<string, string> | undefined> {
  try {
    return await s3Call(
      'HEAD',
      bucket,
      key,
      async () => (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).Metadata ?? {},
    );
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/** Runs the task on every item with at most `limit` in flight. */
export async function inParallel<T>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await task(items[next++] as T);
    }),
  );
}

export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}
