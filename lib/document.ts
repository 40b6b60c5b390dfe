// Reads a JSON document against a TypeBox schema: the parsed value gets the schema's static type
// only once it has been checked, and a document that does not match is refused with its name and
// the first field at fault, so a broken object in a bucket is found from the log line alone.
import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { TLocalizedValidationError } from 'typebox/error';
import { CorruptObjectError } from './errors.js';

export interface DocumentReader<T extends TSchema> {
  /** The parsed, checked document; else a CorruptObjectError naming `name` (the object's location). */
  parse(text: string, name: string): Static<T>;
}

export function documentReader<T extends TSchema>(schema: T): DocumentReader<T> {
  const validator = Compile(schema);
  return {
    parse(text, name) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new CorruptObjectError(name, `not JSON (${error instanceof Error ? error.message : error})`);
      }
      if (validator.Check(value)) return value;
      throw new CorruptObjectError(name, describe(validator.Errors(value)));
    },
  };
}

/** `/metrics/model/mae: expected number`, `/dataset/rows: required`. */
function describe(errors: readonly TLocalizedValidationError[]): string {
  const first = errors[0];
  if (!first) return 'invalid';
  const at = first.instancePath || '/';
  // Each branch of a union reports its own type error before the anyOf that closes them; name
  // the field once with every type it could have had.
  if (errors.some((e) => e.keyword === 'anyOf' && e.instancePath === first.instancePath)) {
    const types = errors.flatMap((e) =>
      e.keyword === 'type' && e.instancePath === first.instancePath ? [e.params.type] : [],
    );
    if (types.length > 0) return `${at}: expected ${types.flat().join(' or ')}`;
  }
  switch (first.keyword) {
    case 'type':
      return `${at}: expected ${[first.params.type].flat().join(' or ')}`;
    case 'required':
      return `${first.instancePath}/${first.params.requiredProperties[0] ?? ''}: required`;
    case 'const':
      return `${at}: expected ${JSON.stringify(first.params.allowedValue)}`;
    case 'enum':
      return `${at}: expected one of ${first.params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${at}: ${first.message}`;
  }
}
