// Request validation. A JSON body is checked as sent: no coercion ({"code": 1} is an error, not
// "1") and no silently dropped fields. Query strings, path parameters and headers are text by
// nature, so only they are coerced (limit=5 is the number 5). Fastify's built-in compiler takes
// one set of options for all parts, hence the two Ajv instances.
import { Ajv, type Options } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from '@sinclair/typebox';

const common: Options = {
  allErrors: true,
  useDefaults: true,
  removeAdditional: false,
  // Formats are documentation here; a request carries none that must be enforced.
  formats: { 'date-time': true },
};

export function validatorCompiler(shared: TSchema[]): FastifySchemaCompiler<TSchema> {
  const body = new Ajv({ ...common, coerceTypes: false });
  const text = new Ajv({ ...common, coerceTypes: true });
  for (const schema of shared) {
    body.addSchema(schema);
    text.addSchema(schema);
  }
  return ({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema);
}
