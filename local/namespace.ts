// What `npm start` keeps in Redis (the retrain queue, the local KCL daemon's checkpoints and lease)
// belongs to one data directory: the stand-ins' stream and buckets live there, and Redis may
// outlive it. So the first start in a directory writes a random id into it, and the defaults of
// QUEUE_PREFIX and KCL_APPLICATION_NAME derive from that id; a fresh directory starts with an
// empty queue and no checkpoints, and a kept one finds its own again (docs/design.md "Local
// namespaces"). Explicit values win.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const NAMESPACE_FILE = 'namespace';
const ID = /^[0-9a-f]{8}$/;

/** The defaults a namespace id gives, for the variables the environment does not set. */
export function namespaceDefaults(
  env: Record<string, string | undefined>,
  id: string,
): { QUEUE_PREFIX?: string; KCL_APPLICATION_NAME?: string } {
  // As lib/config.ts reads them: an empty or blank value is unset.
  const unset = (name: string) => (env[name] ?? '').trim() === '';
  return {
    ...(unset('QUEUE_PREFIX') ? { QUEUE_PREFIX: `bs-${id}` } : {}),
    ...(unset('KCL_APPLICATION_NAME') ? { KCL_APPLICATION_NAME: `brewstream-cleaned-${id}` } : {}),
  };
}

/** Checks what the namespace file holds: the id, or an error that names the file and the problem. */
export function parseNamespaceId(file: string, text: string): string {
  const id = text.trim();
  if (!ID.test(id)) {
    throw new Error(
      `${file}: expected 8 hex digits (written by npm start), got "${id.slice(0, 40)}"; delete the file to start a new namespace`,
    );
  }
  return id;
}

/** The data directory's namespace id, written on its first use. */
export async function namespaceId(dataDir: string): Promise<string> {
  const file = path.join(dataDir, NAMESPACE_FILE);
  await mkdir(dataDir, { recursive: true });
  try {
    // 'wx': of two starts racing on one new directory, one writes and both read its id.
    await writeFile(file, `${randomBytes(4).toString('hex')}\n`, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return parseNamespaceId(file, await readFile(file, 'utf8'));
}
