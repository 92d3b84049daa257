// The shapes memgrade writes in the platforms' formats, as TypeBox schemas: the reporters are typed
// by them, and openapi.yaml declares them as the representations of a result that the service
// serves under their own media types (application/vnd.memgrade.gradescope+json, ...). They are
// what memgrade writes, within what each platform documents (the platforms' own schemas are
// tests/fixtures/platforms; the tests check every output against both).
import { Type, type Static } from '@sinclair/typebox';

const OutputFormat = Type.Literal('md', { description: 'Markdown' });
const Visibility = Type.Literal('visible');

export const GradescopeTest = Type.Object(
  {
    name: Type.String(),
    score: Type.Number({ minimum: 0 }),
    max_score: Type.Number({ minimum: 0 }),
    status: Type.Union([Type.Literal('passed'), Type.Literal('failed')]),
    output: Type.String(),
    output_format: OutputFormat,
    visibility: Visibility,
  },
  { additionalProperties: false, description: 'one scored part of the assignment' },
);

export const GradescopeResults = Type.Object(
  {
    score: Type.Number({ minimum: 0, description: "the assignment's points earned; overrides the sum of the tests" }),
    execution_time: Type.Optional(Type.Number({ minimum: 0, description: 'seconds' })),
    output: Type.String(),
    output_format: OutputFormat,
    visibility: Type.Optional(Visibility),
    stdout_visibility: Type.Literal('hidden'),
    tests: Type.Array(GradescopeTest),
    leaderboard: Type.Optional(
      Type.Array(
        Type.Object(
          { name: Type.String(), value: Type.Number(), order: Type.Literal('asc') },
          { additionalProperties: false, description: 'the peak, in MiB: lower ranks higher' },
        ),
      ),
    ),
  },
  {
    $id: 'GradescopeResults',
    additionalProperties: false,
    description: "Gradescope's autograder results.json (its specification, gradescope/autograder_samples docs/specs.md)",
  },
);
export type GradescopeResults = Static<typeof GradescopeResults>;

export const PrairieLearnTest = Type.Object(
  {
    name: Type.String(),
    description: Type.String(),
    points: Type.Number({ minimum: 0 }),
    max_points: Type.Number({ minimum: 0 }),
    message: Type.String(),
    output: Type.String(),
  },
  { additionalProperties: false },
);

const Graded = Type.Object(
  {
    gradable: Type.Literal(true),
    score: Type.Number({ minimum: 0, maximum: 1, description: 'the fraction of the points earned' }),
    message: Type.String(),
    output: Type.String(),
    tests: Type.Array(PrairieLearnTest),
  },
  { additionalProperties: false, description: 'graded: the score counts' },
);

const NotGradable = Type.Object(
  {
    gradable: Type.Literal(false),
    message: Type.String(),
    output: Type.String(),
    format_errors: Type.Array(Type.String(), { minItems: 1 }),
  },
  {
    additionalProperties: false,
    description:
      'invalid, not gradable: no points awarded or lost, no attempt counted (a syntax error, no entry point, no file; or memgrade itself failed)',
  },
);

export const PrairieLearnResults = Type.Union([Graded, NotGradable], {
  $id: 'PrairieLearnResults',
  description: "PrairieLearn's external grader results.json (PrairieLearn docs/externalGrading.md); under 1 MB",
});
export type PrairieLearnResults = Static<typeof PrairieLearnResults>;
