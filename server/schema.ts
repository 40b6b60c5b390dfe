// Two TypeBox helpers for route schemas. Requests are still validated by Fastify's ajv (app.ts);
// TypeBox gives each schema its TypeScript type through the type provider, so these keep the
// JSON Schema exactly as ajv, fast-json-stringify and the OpenAPI document expect it.
import { type Static, type TSchema, type TUnsafe, Type } from 'typebox';

/**
 * `{type: [T, 'null']}` rather than TypeBox's anyOf: ajv then reports one error that names both
 * types ("must be number,null"), and the serialiser writes the value without trying branches.
 */
export function nullable<T extends TSchema & { type: string }>(schema: T): TUnsafe<Static<T> | null> {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });
}

/**
 * `{$ref: 'Id#'}` to a schema that app.ts registers with addSchema, typed as that schema. One
 * registered copy keeps one component in the OpenAPI document and lets untyped routes (the
 * benchmark's) $ref it too.
 */
export function refTo<T extends TSchema>(schema: T): TUnsafe<Static<T>> {
  if (!('$id' in schema) || typeof schema.$id !== 'string') throw new Error('refTo: the schema has no $id');
  return Type.Unsafe<Static<T>>({ $ref: `${schema.$id}#` });
}
