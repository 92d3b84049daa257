import { createRequire } from 'node:module';
import type { Static } from '@sinclair/typebox';
import type { Versions } from './result.ts';

const require = createRequire(import.meta.url);
const versionOf = (pkg: string) => (require(pkg) as { version: string }).version;

// The sandbox children run the same node binary as this process, so its versions are theirs.
// isolated-vm's version comes from its package.json: loading the addon here is not wanted.
export const versions: Static<typeof Versions> = {
  memgrade: versionOf('../../package.json'),
  node: process.versions.node,
  v8: process.versions.v8,
  isolated_vm: versionOf('isolated-vm/package.json'),
};
