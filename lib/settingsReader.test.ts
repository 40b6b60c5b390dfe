import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from 'typebox';
import { ConfigError } from './errors.js';
import { type SettingSource, settingsReader } from './settingsReader.js';

function source(values: Record<string, unknown>): SettingSource {
  return {
    name: 'test settings',
    value: (key) => values[key],
    boolean: (text) => (text === 'yes' ? true : text === 'no' ? false : undefined),
  };
}

const schema = Type.Object({
  count: Type.Integer({ key: 'COUNT', default: 1, minimum: 1, maximum: 10 }),
  nested: Type.Object({
    on: Type.Boolean({ key: 'ON', default: false }),
    names: Type.Array(Type.String(), { key: 'NAMES', default: [] }),
    label: Type.Optional(Type.String({ key: 'LABEL', pattern: /^[a-z]+$/, what: 'a label' })),
  }),
});
const reader = settingsReader(schema);

describe('settingsReader', () => {
  it('converts text to what the schema wants, takes typed values as they are, and defaults the rest', () => {
    assert.deepEqual(reader.read(source({ COUNT: '3', ON: 'yes', NAMES: 'a, b,,c' })).value, {
      count: 3,
      nested: { on: true, names: ['a', 'b', 'c'] },
    });
    assert.deepEqual(reader.read(source({ COUNT: 4, ON: true })).value, {
      count: 4,
      nested: { on: true, names: [] },
    });
    assert.equal(reader.read(source({}), { COUNT: 7 }).value.count, 7);
  });

  it('reads booleans only as the source spells them', () => {
    assert.deepEqual(reader.read(source({ ON: 'true' })).problems, [
      'ON: expected true or false, got "true"',
    ]);
  });

  it('names every bad key, each by its first problem, and puts the default in its place', () => {
    const { value, problems } = reader.read(source({ COUNT: 'many', ON: 'maybe', LABEL: 'A1' }));
    assert.deepEqual(problems, [
      'COUNT: expected a whole number, got "many"',
      'ON: expected true or false, got "maybe"',
      'LABEL: "A1" is not a label',
    ]);
    assert.deepEqual(value, { count: 1, nested: { on: false, names: [] } });
    assert.deepEqual(reader.read(source({ COUNT: 11 })).problems, [
      'COUNT: must be between 1 and 10, got 11',
    ]);
  });

  it('reports more bad keys than TypeBox collects errors for one value', () => {
    const many = Type.Object(
      Object.fromEntries(
        Array.from({ length: 12 }, (_, i) => [`n${i}`, Type.Integer({ key: `N${i}`, default: 0 })]),
      ),
    );
    const bad = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`N${i}`, 'x']));
    assert.equal(settingsReader(many).read(source(bad)).problems.length, 12);
  });

  it('refuses a required setting with neither a value nor a default', () => {
    const required = settingsReader(Type.Object({ name: Type.String({ key: 'NAME' }) }));
    assert.throws(
      () => required.read(source({})),
      (error) =>
        error instanceof ConfigError && /invalid test settings:\n {2}- NAME: required/.test(error.message),
    );
  });

  it('refuses a schema with a setting that names no key', () => {
    assert.throws(() => settingsReader(Type.Object({ a: Type.String() })), /settings schema: a has no key/);
  });
});
