// The two published JUnit XML schemas (tests/fixtures/junit, their sources in its README): Apache
// Ant's, the strict one most consumers follow, and Jenkins xUnit's. Validated with libxml2's
// xmllint compiled to WebAssembly (xmllint-wasm), so nothing is needed on the machine.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { validateXML } from 'xmllint-wasm';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'junit');
export const JUNIT_SCHEMAS = {
  ant: { fileName: 'ant-junit.xsd', contents: readFileSync(join(FIXTURES, 'ant-junit.xsd'), 'utf8') },
  jenkins: { fileName: 'jenkins-junit-10.xsd', contents: readFileSync(join(FIXTURES, 'jenkins-junit-10.xsd'), 'utf8') },
};

/** What breaks each schema: an empty list when the document is valid against both. */
export async function junitSchemaErrors(xml: string): Promise<string[]> {
  const errors: string[] = [];
  for (const [name, schema] of Object.entries(JUNIT_SCHEMAS)) {
    const result = await validateXML({ xml: { fileName: 'junit.xml', contents: xml }, schema });
    errors.push(...result.errors.map((e) => `${name}: ${e.rawMessage}`));
  }
  return errors;
}

interface Case {
  time: string;
}

/** The document's suites and cases, its attributes as strings, each list an array. */
export function junitDocument(xml: string) {
  const lists = ['testsuite', 'testcase', 'property'];
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => lists.includes(name) }).parse(xml);
  return doc.testsuites as { testsuite: { time: string; testcase?: Case[]; properties: { property?: { name: string; value: string }[] } }[] };
}

/**
 * What a JUnit reader would get wrong: a value written empty (read as NaN by junit2json and
 * the like), or cases whose times do not add up to their suite's.
 */
export function junitConsistencyErrors(xml: string): string[] {
  const errors: string[] = [];
  for (const empty of xml.match(/ [\w-]+=""/g) ?? []) errors.push(`an empty value:${empty}`);
  for (const suite of junitDocument(xml).testsuite) {
    const sum = (suite.testcase ?? []).reduce((ms, c) => ms + Math.round(Number(c.time) * 1000), 0);
    if (sum !== Math.round(Number(suite.time) * 1000)) errors.push(`the cases take ${sum} ms, the suite ${suite.time} s`);
  }
  return errors;
}
