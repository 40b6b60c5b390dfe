import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLEANED_COLUMNS } from '../../lib/beer.js';
import { cleanedViews, prestoView } from './athena.js';

const views = cleanedViews('brewstream', 'cleaned_beers');

describe('the cleaned table in Athena', () => {
  it('names the CSV table and the two views after the table name', () => {
    assert.equal(views.csvTable, 'cleaned_beers_csv');
    assert.equal(views.history.name, 'cleaned_beers_history');
    assert.equal(views.latest.name, 'cleaned_beers');
  });

  it('reads an empty field as null and types every numeric column with TRY_CAST', () => {
    for (const column of CLEANED_COLUMNS) {
      if (column === 'id' || column === 'name') continue;
      assert.ok(
        views.history.sql.includes(`TRY_CAST(NULLIF(${column}, '') AS DOUBLE) AS ${column}`),
        `${column} in ${views.history.sql}`,
      );
    }
    assert.ok(views.history.sql.includes(`TRY_CAST(NULLIF(id, '') AS BIGINT) AS id`));
    assert.ok(views.history.sql.includes(`NULLIF(name, '') AS name`));
    assert.match(views.history.sql, /"\$path" AS object_key FROM "brewstream"\."cleaned_beers_csv"$/);
  });

  it('keeps one row per beer: the later partition, then the object written last, then the greater key', () => {
    assert.match(
      views.latest.sql,
      /ROW_NUMBER\(\) OVER \(PARTITION BY TRY_CAST\(id AS BIGINT\) ORDER BY dt DESC, "\$file_modified_time" DESC, "\$path" DESC\) AS arrival/,
    );
    assert.match(views.latest.sql, /\) WHERE arrival = 1$/);
    assert.deepEqual(
      views.latest.columns.map((c) => c.name),
      [...CLEANED_COLUMNS, 'dt'],
    );
  });

  it('stores a view as Athena does: a VIRTUAL_VIEW whose original text is the base64 Trino definition', () => {
    const input = prestoView(views.latest, 'brewstream');
    assert.equal(input.tableType, 'VIRTUAL_VIEW');
    assert.deepEqual(input.parameters, { presto_view: 'true', comment: 'Presto View' });
    assert.equal(input.viewExpandedText, '/* Presto View */');
    const encoded = /^\/\* Presto View: (.+) \*\/$/.exec(input.viewOriginalText ?? '')?.[1] ?? '';
    const definition = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
    assert.deepEqual(definition, {
      originalSql: views.latest.sql,
      catalog: 'awsdatacatalog',
      schema: 'brewstream',
      columns: views.latest.columns.map((c) => ({ name: c.name, type: c.trino })),
    });
    // Hive's names in the catalog, Trino's in the definition: the same columns in the same order.
    const storage = input.storageDescriptor as { columns: { name: string; type: string }[] };
    assert.deepEqual(
      storage.columns.map((c) => `${c.name}:${c.type}`),
      ['id:bigint', 'name:string', ...CLEANED_COLUMNS.slice(2).map((c) => `${c}:double`), 'dt:string'],
    );
  });
});
