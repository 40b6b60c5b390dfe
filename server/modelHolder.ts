// Holds the model being served and swaps it without failing a request: a new champion is
// loaded fully and warmed with one prediction before one assignment makes it current, and the old
// model is disposed at once. That is safe because predict() is synchronous (dataSync) and never
// yields, so no prediction can still be using the old model when the swap runs.
import type { LayersModel } from '@tensorflow/tfjs';
import type { FastifyBaseLogger } from 'fastify';
import { S3AccessDeniedError } from '../lib/errors.js';
import type { FeatureInput } from '../lib/features.js';
import type { LoadedVersion, ModelMetadata } from '../lib/modelRegistry.js';
import { predictIbu } from '../lib/predict.js';
import type { Tf } from '../lib/tfjs.js';

export interface ServedModel {
  readonly version: string;
  readonly metadata: ModelMetadata;
  readonly model: LayersModel;
}

/** Where models come from; the S3 registry in production, the same in tests. */
export interface ModelSource {
  readChampion(): Promise<string | undefined>;
  load(version: string): Promise<LoadedVersion>;
}

export type FeatureRow = FeatureInput;

const FAILED_RETRY_MS = 5 * 60_000;

export class ModelHolder {
  private current: ServedModel | undefined;
  private refreshing: Promise<void> | undefined;
  private again = false;
  /** Versions that failed to load, and when: a poll retries one only after FAILED_RETRY_MS. */
  private readonly failed = new Map<string, number>();
  private closed = false;
  /** What the last successful read of champion.json said: undefined before any read succeeded. */
  private championNamed: boolean | undefined;
  /** How the last read of champion.json went: the registry's (S3's) state for /ready. */
  private lastRead: 'ok' | 'error' | 'pending' = 'pending';

  constructor(
    private readonly tf: Tf,
    private readonly source: ModelSource,
    private readonly logger: Pick<FastifyBaseLogger, 'info' | 'error'>,
  ) {}

  get version(): string | undefined {
    return this.current?.version;
  }

  /**
   * True when this server serves what the deployment has: the champion is loaded, or the registry
   * has been read and names no champion yet (a fresh deployment, or no model has beaten the
   * baseline). False while the first read is pending or a named champion is not loaded, so a
   * rolling deploy never sends traffic to a task that lacks the live model.
   */
  get ready(): boolean {
    return this.current !== undefined || this.championNamed === false;
  }

  /** 'ok' or 'error' after the last read of champion.json, 'pending' before the first one ends. */
  get registry(): 'ok' | 'error' | 'pending' {
    return this.lastRead;
  }

  get metadata(): ModelMetadata | undefined {
    return this.current?.metadata;
  }

  /**
   * Re-reads champion.json and swaps to it if it names another version. Calls made while one
   * runs are folded into one more run after it. `retryFailed` retries a version that failed to
   * load before at once (a promotion message is a reason to); a poll retries it only after
   * FAILED_RETRY_MS, so a broken artifact is not reloaded and logged every poll, but a load
   * that failed on a passing S3 error is not stuck forever either.
   */
  refresh(retryFailed = false): Promise<void> {
    if (retryFailed) this.failed.clear();
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.again = false;
          await this.refreshOnce();
        } while (this.again && !this.closed);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private async refreshOnce(): Promise<void> {
    let version: string | undefined;
    try {
      version = await this.source.readChampion();
      this.championNamed = version !== undefined;
      this.lastRead = 'ok';
    } catch (error) {
      this.lastRead = 'error';
      if (error instanceof S3AccessDeniedError) {
        // Not "no champion": /ready stays 503 until the role can read its registry.
        this.logger.error(
          { err: error, configurationError: true },
          'champion.json: access denied, a configuration error (IAM policy or bucket); not ready until fixed',
        );
      } else this.logger.error({ err: error }, 'cannot read champion.json; keeping the current model');
      return;
    }
    if (version === undefined || version === this.current?.version) return;
    const failedAt = this.failed.get(version);
    if (failedAt !== undefined && Date.now() - failedAt < FAILED_RETRY_MS) return;
    const started = performance.now();
    let loaded: LoadedVersion;
    try {
      loaded = await this.source.load(version);
      this.warm(loaded);
    } catch (error) {
      this.failed.set(version, Date.now());
      this.logger.error(
        { err: error, version, serving: this.current?.version ?? null },
        'model failed to load; the current model keeps serving',
      );
      return;
    }
    if (this.closed) {
      loaded.model.dispose();
      return;
    }
    const previous = this.current;
    this.current = { version, metadata: loaded.metadata, model: loaded.model };
    this.logger.info(
      { version, previous: previous?.version ?? null, loadMs: Math.round(performance.now() - started) },
      'model swapped in',
    );
    if (previous) this.dispose(previous);
  }

  /** One prediction on a row of medians: compiles the kernels and proves the artifact works. */
  private warm({ model, metadata }: LoadedVersion): void {
    const [ibu] = predictIbu(this.tf, model, [{}], metadata.preprocessing);
    if (ibu === undefined || !Number.isFinite(ibu)) throw new Error(`warm-up prediction gave ${ibu}`);
  }

  /**
   * IBU for each row (the training preprocessing applied, the target transform undone).
   * Synchronous on purpose: the swap disposes the old model at once because nothing can hold it
   * across an await. Should this ever await (an async data() call, say), the swap must wait for
   * the predictions still using the old model before disposing it.
   */
  predict(rows: FeatureRow[]): { ibu: Float64Array; version: string } {
    const served = this.current;
    if (!served) throw new Error('no model loaded');
    return {
      ibu: predictIbu(this.tf, served.model, rows, served.metadata.preprocessing),
      version: served.version,
    };
  }

  private dispose(model: ServedModel): void {
    model.model.dispose();
    this.logger.info({ version: model.version }, 'old model disposed');
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.refreshing;
    if (this.current) this.dispose(this.current);
    this.current = undefined;
  }
}
