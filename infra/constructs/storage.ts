// The three buckets of docs/design.md (raw, cleaned, models), a bucket for access logs, and the Glue
// tables and Athena views that make the cleaned prefix (athena.ts has the views' SQL) and the
// server's inference log under predictions/ queryable.
import { type CfnResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { FEATURES } from '../../lib/features.js';
import type { Settings } from '../settings.js';
import { CSV_COLUMNS, cleanedViews, prestoView } from './athena.js';

/** `dt=YYYY-MM-DD` partitions: new dates appear every day; projection spares a crawler or MSCK REPAIR. */
const DAILY_PARTITIONS = {
  dt: glue.PartitionProjectionConfiguration.date({
    min: '2024-01-01',
    max: 'NOW',
    format: 'yyyy-MM-dd',
    step: { interval: 1, intervalUnit: glue.DateIntervalUnit.DAYS },
  }),
};

export class Storage extends Construct {
  readonly accessLogs: s3.Bucket;
  readonly raw: s3.Bucket;
  readonly cleaned: s3.Bucket;
  readonly models: s3.Bucket;
  readonly database: glue.Database;
  readonly table: glue.S3Table;
  readonly predictions: glue.S3Table;

  constructor(scope: Construct, id: string, settings: Settings) {
    super(scope, id);
    // Access logs of the other buckets and of the load balancer. ALB log delivery only supports
    // SSE-S3, hence S3-managed keys here and, for uniformity, on the data buckets too.
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...secure,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const bucket = (name: string, extra: s3.BucketProps = {}) =>
      new s3.Bucket(this, name, {
        ...secure,
        serverAccessLogsBucket: this.accessLogs,
        serverAccessLogsPrefix: `s3/${name.toLowerCase()}/`,
        removalPolicy: RemovalPolicy.RETAIN,
        ...extra,
      });
    // Raw records are an archive for replays and audits: cheaper storage after a month, then gone.
    this.raw = bucket('Raw', {
      lifecycleRules: [
        {
          transitions: [
            {
              storageClass: s3.StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(settings.rawInfrequentAccessDays),
            },
          ],
          expiration: Duration.days(settings.rawExpirationDays),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });
    this.cleaned = bucket('Cleaned', {
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(7) }],
    });
    // Every model version is kept (docs/design.md "Models"); versioning guards champion.json
    // against a bad write. The old copies it keeps (one per promotion) go after 90 days, the five
    // latest always staying, so a rollback to a recent champion stays possible.
    this.models = bucket('Models', {
      versioned: true,
      lifecycleRules: [
        {
          noncurrentVersionExpiration: Duration.days(90),
          noncurrentVersionsToRetain: 5,
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });

    // Catalog entries only (the data stays in the cleaned bucket): deleted with the stack, so a
    // redeploy can create a database of the same name.
    this.database = new glue.Database(this, 'Database', {
      databaseName: settings.glueDatabase,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const views = cleanedViews(settings.glueDatabase, settings.glueTable);
    // The objects as they are: every column a string. OpenCSVSerde reads every field as a string
    // anyway, and it fails a numeric column on the empty field that stands for null
    // (HIVE_BAD_DATA); the views below do the typing with TRY_CAST.
    this.table = new glue.S3Table(this, 'CleanedTable', {
      database: this.database,
      tableName: views.csvTable,
      description:
        'brewstream cleaned rows as written, all strings: one CSV object per KCL batch (docs/design.md "Cleaned objects"); query the views instead',
      storage: glue.S3TableStorage.fromBucket(this.cleaned),
      s3Prefix: 'rows/',
      columns: CSV_COLUMNS.map((name) => ({ name, type: glue.Schema.STRING })),
      partitionKeys: [{ name: 'dt', type: glue.Schema.STRING }],
      dataFormat: new glue.DataFormat({
        inputFormat: glue.InputFormat.TEXT,
        outputFormat: glue.OutputFormat.HIVE_IGNORE_KEY_TEXT,
        serializationLibrary: glue.SerializationLibrary.OPEN_CSV,
      }),
      partitionProjection: DAILY_PARTITIONS,
      parameters: {
        'storage.location.template': `s3://${this.cleaned.bucketName}/rows/dt=\${dt}/`,
        // Every object starts with the header line (docs/design.md "Cleaned row").
        'skip.header.line.count': '1',
        classification: 'csv',
      },
      // SSE-S3 is transparent to Athena; true would announce client-side encryption (CSE-KMS).
      hasEncryptedData: false,
    });
    // The objects are RFC 4180 (a quote inside a quoted field is doubled, which the serde reads
    // as one); nothing is escaped with a backslash. The serde's default escape character is the
    // backslash, and it drops a lone one: a name with "\" would lose it. CSV_ESCAPE_CHAR is a
    // private-use character no beer name holds (the serde needs some escape character, different
    // from the separator and the quote).
    (this.table.node.defaultChild as CfnResource).addPropertyOverride(
      'TableInput.StorageDescriptor.SerdeInfo.Parameters',
      { separatorChar: ',', quoteChar: '"', escapeChar: CSV_ESCAPE_CHAR },
    );
    // The server's inference log (docs/design.md "Inference log"): one JSON object a line. The
    // OpenX serde matches fields without regard to case (requestId is the column requestid).
    const inputs = glue.Schema.struct(PREDICTION_INPUTS.map((name) => ({ name, type: glue.Schema.DOUBLE })));
    this.predictions = new glue.S3Table(this, 'PredictionsTable', {
      database: this.database,
      tableName: PREDICTIONS_TABLE,
      description:
        'brewstream inference log: one row per prediction row, as the server wrote it (docs/design.md "Inference log")',
      storage: glue.S3TableStorage.fromBucket(this.cleaned),
      s3Prefix: 'predictions/',
      columns: [
        { name: 'seq', type: glue.Schema.BIG_INT },
        { name: 'time', type: glue.Schema.STRING },
        { name: 'requestid', type: glue.Schema.STRING },
        { name: 'version', type: glue.Schema.STRING },
        { name: 'inputs', type: inputs },
        { name: 'features', type: inputs },
        { name: 'ibu', type: glue.Schema.DOUBLE },
        { name: 'band', type: glue.Schema.STRING },
        { name: 'latencyms', type: glue.Schema.DOUBLE },
        { name: 'keydigest', type: glue.Schema.STRING },
        { name: 'instance', type: glue.Schema.STRING },
      ],
      partitionKeys: [{ name: 'dt', type: glue.Schema.STRING }],
      dataFormat: glue.DataFormat.JSON,
      partitionProjection: DAILY_PARTITIONS,
      parameters: {
        'storage.location.template': `s3://${this.cleaned.bucketName}/predictions/dt=\${dt}/`,
        classification: 'json',
      },
      hasEncryptedData: false,
    });
    for (const [id, view] of [
      ['HistoryView', views.history],
      ['LatestView', views.latest],
    ] as const) {
      const table = new glue.CfnTable(this, id, {
        catalogId: Stack.of(this).account,
        databaseName: settings.glueDatabase,
        tableInput: prestoView(view, settings.glueDatabase),
      });
      table.node.addDependency(this.table);
    }
  }
}

/** The inference log's Glue table, in the stack's database. */
export const PREDICTIONS_TABLE = 'predictions';

/** The inputs (and imputed features) of a logged prediction: lib/features.ts FEATURES. */
const PREDICTION_INPUTS = FEATURES;

/** OpenCSVSerde's escape character: U+E000, the first private-use code point (see above). */
export const CSV_ESCAPE_CHAR = '\uE000';

const secure: s3.BucketProps = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  encryption: s3.BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
};
