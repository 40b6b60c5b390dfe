// Input drift of the served model (docs/design.md "Drift and data quality"): the PSI of each input
// over the inference log's window against the training reference in the model's metadata, on
// demand (GET /models/champion/drift) and every DRIFT_CHECK_MS, when a warn line with
// `"drift": true` says which features crossed DRIFT_PSI_THRESHOLD (a CloudWatch metric filter
// counts those lines).
import fp from 'fastify-plugin';
import type { Config } from '../../lib/config.js';
import { type DriftReport, driftReport } from '../../lib/drift.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The drift of the served model's inputs over the window; undefined while no model is served. */
    drift(): DriftReport | undefined;
  }
}

export default fp(
  async (app, { config }: { config: Config }) => {
    const { psiThreshold, minRows, checkMs } = config.drift;
    const drift = (): DriftReport | undefined => {
      const served = app.models.metadata;
      if (!served) return undefined;
      // Only the rows the served version answered: a swap starts a new window.
      const window = app.inferenceLog.window().filter((row) => row.version === served.version);
      return driftReport({
        version: served.version,
        reference: served.reference,
        window,
        threshold: psiThreshold,
        minRows,
      });
    };
    app.decorate('drift', drift);

    const check = () => {
      const report = drift();
      if (!report?.drift) return;
      const features = report.features.filter((f) => f.drift);
      app.log.warn(
        {
          drift: true,
          version: report.version,
          window: report.window,
          threshold: report.threshold,
          features,
        },
        `input drift: ${features.map((f) => `${f.feature} PSI ${f.psi}`).join(', ')} over ${report.window.rows} rows (threshold ${report.threshold})`,
      );
    };
    const timer = setInterval(check, checkMs);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  },
  { name: 'drift-watch', dependencies: ['inference-log', 'model-holder'] },
);
