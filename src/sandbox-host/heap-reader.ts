// Which figure the harness counts for the JS heap. With the native heap-space reader
// (sandbox/native/heap-spaces.cc, built at install by sandbox/native/build.js when a C++ compiler
// is there), the data spaces alone: new, old and large objects. Without it, the isolate's whole
// used heap size, which also holds compiled code and bytecode that V8 makes and flushes on its
// own schedule (tens of KB that move from run to run: docs/measurement.md).
// MEMGRADE_HEAP_SPACES_ADDON names another built file, or `off` for the used heap size.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ivm, type ivmModule } from './isolated-vm.ts';

const BUILT = fileURLToPath(new URL('../../sandbox/native/heap-spaces.node', import.meta.url));

function addonPath(): string | null {
  const named = process.env.MEMGRADE_HEAP_SPACES_ADDON;
  if (named === 'off') return null;
  if (named !== undefined && named !== '') return named;
  return existsSync(BUILT) ? BUILT : null;
}

let reader: ivmModule.NativeModule | null | undefined;

/** The reader, loaded once per process from Node's own isolate (as isolated-vm requires), or null. */
export function heapSpacesReader(): ivmModule.NativeModule | null {
  if (reader === undefined) {
    const path = addonPath();
    try {
      reader = path === null ? null : new ivm.NativeModule(path);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new Error(`the native heap-space reader ${path} did not load (${why}); set MEMGRADE_HEAP_SPACES_ADDON=off to grade without it`, {
        cause: error,
      });
    }
  }
  return reader;
}
