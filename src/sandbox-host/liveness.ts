// Which tracked buffers are still alive, read while the harness is paused in
// `pauseForLiveness`: V8's inspector lists the live entries of a WeakSet as its internal
// [[Entries]] property, and the harness's `memgradeMarkLive` turns them into allocation ids.
// V8 13 offers no synchronous way to learn this from inside the isolate (see prelude.js).
import type { CallFrame, PropertyDescriptor } from './holders.ts';
import type { InspectorClient } from './inspector.ts';

interface InternalProperties {
  result: PropertyDescriptor[];
  internalProperties?: PropertyDescriptor[];
}

/** Hands the live entries to the harness; it records which allocations died. */
export async function readLiveness(client: InspectorClient, frame: CallFrame): Promise<void> {
  const local = frame.scopeChain.find((s) => s.type === 'local')?.object.objectId;
  if (local === undefined) return;
  const locals = await client.send<InternalProperties>('Runtime.getProperties', { objectId: local, ownProperties: true });
  const objectId = (name: string) => locals.result.find((p) => p.name === name)?.value?.objectId;
  const set = objectId('memgradeLiveSet');
  const mark = objectId('memgradeMarkLive');
  if (set === undefined || mark === undefined) return;
  const internal = await client.send<InternalProperties>('Runtime.getProperties', { objectId: set, ownProperties: true });
  const entries = internal.internalProperties?.find((p) => p.name === '[[Entries]]')?.value?.objectId;
  if (entries === undefined) return;
  await client.send('Runtime.callFunctionOn', {
    objectId: mark,
    functionDeclaration: 'function (entries) { return this(entries); }',
    arguments: [{ objectId: entries }],
    returnByValue: true,
  });
}
