// The cleaned table in Athena: an external table over rows/ that declares what the objects are
// (CSV, every field a string, an empty field for null), and two views that type it:
//   <glueTable>_history  every row of every object, typed, with the object it came from
//   <glueTable>          one row per beer, the latest arrival winning (docs/design.md "The cleaned table")
// Athena keeps a view in the Glue catalog as a VIRTUAL_VIEW table whose original text is the
// Trino view definition, base64 JSON between "/* Presto View: " and " */"; CloudFormation can
// create it like any table, so the views come and go with the stack.
import type * as glue from 'aws-cdk-lib/aws-glue';
import { CLEANED_COLUMNS } from '../../lib/beer.js';

/** The CSV header, in order (docs/design.md "Cleaned row"). */
export const CSV_COLUMNS: readonly string[] = CLEANED_COLUMNS;

/** A column's type in the view definition (Trino's name) and in the Glue catalog (Hive's name). */
interface ViewColumn {
  name: string;
  trino: 'bigint' | 'varchar' | 'double';
  hive: 'bigint' | 'string' | 'double';
}

export interface ViewDefinition {
  name: string;
  description: string;
  sql: string;
  columns: ViewColumn[];
}

const typed: ViewColumn[] = CSV_COLUMNS.map((name) =>
  name === 'id'
    ? { name, trino: 'bigint', hive: 'bigint' }
    : name === 'name'
      ? { name, trino: 'varchar', hive: 'string' }
      : { name, trino: 'double', hive: 'double' },
);
const dt: ViewColumn = { name: 'dt', trino: 'varchar', hive: 'string' };
const objectKey: ViewColumn = { name: 'object_key', trino: 'varchar', hive: 'string' };

/**
 * Each CSV field as its column's type: an empty field is null (the codec's null), and TRY_CAST
 * turns anything unparsable into null instead of failing the query.
 */
function typedSelect(column: ViewColumn): string {
  const field = `NULLIF(${column.name}, '')`;
  return column.trino === 'varchar'
    ? `${field} AS ${column.name}`
    : `TRY_CAST(${field} AS ${column.trino.toUpperCase()}) AS ${column.name}`;
}

export function cleanedViews(database: string, table: string) {
  const csvTable = `${table}_csv`;
  const from = `"${database}"."${csvTable}"`;
  const columns = typed.map(typedSelect).join(', ');
  const history: ViewDefinition = {
    name: `${table}_history`,
    description: 'brewstream cleaned rows, typed: one row per record of every batch object',
    sql: `SELECT ${columns}, dt, "$path" AS object_key FROM ${from}`,
    columns: [...typed, dt, objectKey],
  };
  // Latest arrival: the later date partition, then the object written last, then the greater key.
  // Athena cannot see a row's position inside an object, so two rows of one beer in the same
  // object tie; the trainer's reader (lib/cleanedTable.ts) breaks that tie by row order.
  const latest: ViewDefinition = {
    name: table,
    description: 'brewstream cleaned table: one row per beer, the latest arrival winning',
    sql:
      `SELECT ${typed.map((c) => c.name).join(', ')}, dt FROM (` +
      `SELECT ${columns}, dt, ROW_NUMBER() OVER (PARTITION BY TRY_CAST(id AS BIGINT) ` +
      `ORDER BY dt DESC, "$file_modified_time" DESC, "$path" DESC) AS arrival FROM ${from}` +
      `) WHERE arrival = 1`,
    columns: [...typed, dt],
  };
  return { csvTable, history, latest };
}

/** The Glue TableInput of an Athena view. */
export function prestoView(view: ViewDefinition, database: string): glue.CfnTable.TableInputProperty {
  const definition = {
    originalSql: view.sql,
    catalog: 'awsdatacatalog',
    schema: database,
    columns: view.columns.map((c) => ({ name: c.name, type: c.trino })),
  };
  return {
    name: view.name,
    description: view.description,
    tableType: 'VIRTUAL_VIEW',
    parameters: { presto_view: 'true', comment: 'Presto View' },
    viewOriginalText: `/* Presto View: ${Buffer.from(JSON.stringify(definition)).toString('base64')} */`,
    viewExpandedText: '/* Presto View */',
    storageDescriptor: {
      columns: view.columns.map((c) => ({ name: c.name, type: c.hive })),
      serdeInfo: {},
    },
  };
}
