// The platforms' documented result schemas (tests/fixtures/platforms), compiled once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';

const schema = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'platforms', `${name}.schema.json`), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false });
const gradescope = ajv.compile(schema('gradescope-results'));
const prairielearn = ajv.compile(schema('prairielearn-results'));

/** Null when `data` conforms to the platform's schema, else what breaks it. */
export function schemaErrors(platform: 'gradescope' | 'prairielearn', data: unknown): string | null {
  const validate: ValidateFunction = platform === 'gradescope' ? gradescope : prairielearn;
  return validate(data) ? null : ajv.errorsText(validate.errors);
}
