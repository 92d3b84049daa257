// The Prefer header (RFC 7240) that makes POST /v1/submissions wait for its result.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preferredWait } from '../../src/http/prefer.ts';

test('wait=N, alone or among other preferences, any case, quoted or not', () => {
  assert.equal(preferredWait('wait=5'), 5);
  assert.equal(preferredWait('respond-async, wait=10'), 10);
  assert.equal(preferredWait('return=minimal,wait=3'), 3);
  assert.equal(preferredWait('wait="7"'), 7);
  assert.equal(preferredWait('WAIT = 4'), 4);
  assert.equal(preferredWait('wait=0'), 0, 'zero is a preference too: do not wait');
});

test('no header, no wait preference, or not a number: null', () => {
  assert.equal(preferredWait(undefined), null);
  assert.equal(preferredWait(''), null);
  assert.equal(preferredWait('respond-async'), null);
  assert.equal(preferredWait('nowait=5'), null, 'a name that merely ends in wait');
  assert.equal(preferredWait('wait=soon'), null);
  assert.equal(preferredWait('wait=-1'), null);
  assert.equal(preferredWait('wait=1234567'), null, 'too long to be a wait: not its first six digits');
});
