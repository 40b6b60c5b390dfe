// Registers model versions by their metadata alone (no network: GET /models and the operators'
// page read only metadata.json), as many as a registry holds after months of retrains. Each
// version's figures come from its index, so a test knows what it wrote without reading it back.
import type { S3Client } from '@aws-sdk/client-s3';
import { type ModelMetadata, registryKeys } from '../../lib/modelRegistry.js';
import { inParallel, putObject } from '../../lib/s3.js';
import { metadataFor } from '../server/models.js';

export interface SeededVersion {
  version: string;
  mae: number;
  promoted: boolean;
}

/**
 * `count` versions a minute apart ending `endMs`, oldest first; every third promoted; test MAE
 * 20 - i/100 with an interval of ±1, a linear baseline at 25; 40 epochs of history each (the
 * weight GET /models must leave out).
 */
export async function seedVersions(
  s3: S3Client,
  bucket: string,
  count: number,
  endMs: number,
): Promise<SeededVersion[]> {
  const seeded = Array.from({ length: count }, (_, i) => {
    const at = new Date(endMs - (count - i) * 60_000);
    const stamp = at.toISOString().replace(/[-:.]/g, '');
    const version = `${stamp}-${i.toString(16).padStart(6, '0')}`;
    return { version, at, mae: 20 - i / 100, promoted: i % 3 === 0 };
  });
  await inParallel(seeded, 16, async ({ version, at, mae, promoted }) => {
    const base = metadataFor(version, promoted);
    const meta: ModelMetadata = {
      ...base,
      createdAt: at.toISOString(),
      metrics: {
        model: { mae, mse: mae * mae, rmse: mae, r2: 0.5 },
        baseline: { mae: 25, mse: 625, rmse: 25, r2: 0.1 },
        baselines: {
          linear: { mae: 25, mse: 625, rmse: 25, r2: 0.1 },
          median: { mae: 30, mse: 900, rmse: 30, r2: 0 },
        },
      },
      evaluation: {
        maeCi95: [mae - 1, mae + 1],
        test: { actual: [10, 20, 30], predicted: [12, 19, 33] },
      },
      history: Array.from({ length: 40 }, (_, e) => ({
        epoch: e + 1,
        loss: 1 / (e + 1),
        val_loss: 1.1 / (e + 1),
      })),
      promoted,
      reason: promoted ? `promoted: seeded ${version}` : `not promoted: seeded ${version}`,
    };
    await putObject(
      s3,
      bucket,
      registryKeys.file(version, 'metadata.json'),
      JSON.stringify(meta),
      'application/json',
    );
  });
  return seeded.map(({ version, mae, promoted }) => ({ version, mae, promoted }));
}
