// Reads settings (a role's environment, the CDK app's context) against a TypeBox schema. The
// schema is the shape of what is read, and each of its settings names its key in the source and
// carries its type, range, pattern and default, so the settings' TypeScript type is the schema's.
// Every bad key is reported at once in one ConfigError: a start or a synth that fails names all
// of them, not one per attempt.
import type { Static, TObject, TSchema } from 'typebox';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { ConfigError } from './errors.js';

/** Where settings come from; each source keeps its own spelling of booleans. */
export interface SettingSource {
  /** Names the source in the error ("configuration", "CDK context"). */
  readonly name: string;
  /** The value under key; undefined when unset. */
  value(key: string): unknown;
  /** The boolean a text spells, or undefined when it spells none. */
  boolean(text: string): boolean | undefined;
}

/**
 * A setting's schema: TypeBox's keywords plus `key`, its name in the source (every property of a
 * settings schema that is not itself an object of settings has one), and `what`, the noun a
 * pattern stands for ("a Glue name"), which a refused value is said not to be.
 */
type SettingSchema = TSchema & {
  key: string;
  what?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
};

interface Setting {
  path: string[];
  schema: SettingSchema;
}

/** An integer setting: its key in the source, its default and its inclusive range. */
export function Integer(key: string, fallback: number, minimum: number, maximum?: number) {
  return Type.Integer({ key, default: fallback, minimum, ...(maximum === undefined ? {} : { maximum }) });
}

export interface SettingsRead<T> {
  /** Every setting, a refused value replaced by its default so later checks see sound values. */
  value: T;
  /** One line per refused key; empty when all are sound. */
  problems: string[];
}

export interface SettingsReader<T extends TObject> {
  /** `defaults` (by key) stand in for the schema's, where a default derives from another setting. */
  read(source: SettingSource, defaults?: Record<string, unknown>): SettingsRead<Static<T>>;
}

export function settingsReader<T extends TObject>(schema: T): SettingsReader<T> {
  // Read once per process, so not compiled: TypeBox's dynamic checks cost less than compiling.
  const settings = settingsOf(schema, []);
  return {
    read(source, defaults = {}) {
      const fallback = ({ key, default: value }: SettingSchema) => structuredClone(defaults[key] ?? value);
      const value: Record<string, unknown> = {};
      const problems: string[] = [];
      for (const setting of settings) {
        const raw = source.value(setting.schema.key);
        let read = raw === undefined ? fallback(setting.schema) : convert(setting.schema, raw, source);
        const problem = check(setting.schema, read);
        if (problem !== undefined) {
          problems.push(`${setting.schema.key}: ${problem}`);
          read = fallback(setting.schema);
        }
        put(value, setting.path, read);
      }
      if (Value.Check(schema, value)) return { value, problems };
      // Only a required setting with neither a value nor a default gets here.
      throw new ConfigError(problems, source.name);
    },
  };
}

function settingsOf(schema: TObject, path: string[]): Setting[] {
  return Object.entries(schema.properties).flatMap(([name, property]: [string, TSchema]) => {
    if ('key' in property && typeof property.key === 'string') {
      return [{ path: [...path, name], schema: property as SettingSchema }];
    }
    if (Type.IsObject(property)) return settingsOf(property, [...path, name]);
    throw new Error(`settings schema: ${[...path, name].join('.')} has no key`);
  });
}

/** Text (all of the environment, `-c key=value` in CDK context) becomes what the schema wants. */
function convert(schema: TSchema, raw: unknown, source: SettingSource): unknown {
  if (typeof raw !== 'string') return raw;
  if (Type.IsInteger(schema) || Type.IsNumber(schema)) {
    const n = Number(raw);
    return Number.isFinite(n) ? n : raw;
  }
  if (Type.IsBoolean(schema)) return source.boolean(raw) ?? raw;
  if (Type.IsArray(schema)) {
    return raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  }
  return raw;
}

const EXPECTED: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  string: 'text',
  array: 'a comma-separated list',
};

/**
 * What is wrong with a setting's value, undefined if nothing: `expected a whole number, got "two"`,
 * `must be between 0 and 65535, got 70000`. Its first error is the one worth reading ("not a number"
 * before "out of range").
 */
function check(schema: SettingSchema, value: unknown): string | undefined {
  if (value === undefined) return Type.IsOptional(schema) ? undefined : 'required';
  // Each setting is checked on its own, as TypeBox stops collecting a value's errors after a few.
  const [error] = Value.Errors(schema, value);
  if (error === undefined) return undefined;
  const got = JSON.stringify(value);
  switch (error.keyword) {
    case 'type':
      if (schema.what) return `${got} is not ${schema.what}`;
      return `expected ${EXPECTED[String(error.params.type)] ?? error.params.type}, got ${got}`;
    case 'pattern':
      return `${got} is not ${schema.what ?? `matching ${error.params.pattern}`}`;
    case 'minimum':
    case 'maximum':
      return `${range(schema)}, got ${got}`;
    case 'enum':
      return `must be one of ${error.params.allowedValues.join(', ')}, got ${got}`;
    case 'maxLength':
      return `at most ${error.params.limit} characters, got ${String(value).length}`;
    case '~refine':
      return error.params.message;
    default:
      return error.message;
  }
}

function range({ minimum, maximum }: SettingSchema): string {
  if (minimum !== undefined && maximum !== undefined) return `must be between ${minimum} and ${maximum}`;
  return minimum !== undefined ? `must be at least ${minimum}` : `must be at most ${maximum}`;
}

/** Sets value at path, making the objects on the way; undefined leaves an optional setting out. */
function put(target: Record<string, unknown>, path: string[], value: unknown): void {
  const parents = path.slice(0, -1);
  const name = path[path.length - 1] as string;
  let node = target;
  for (const parent of parents) {
    node[parent] ??= {};
    node = node[parent] as Record<string, unknown>;
  }
  if (value !== undefined) node[name] = value;
}
