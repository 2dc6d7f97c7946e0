import { AsyncLocalStorage } from 'node:async_hooks';
import type { Sequelize } from 'sequelize';

/** The instances whose queries the current async context sends to the primary. */
const onPrimaryOf = new AsyncLocalStorage<ReadonlySet<Sequelize>>();

/** Instances that already carry the hook below: it is added once per instance, on first use. */
const hooked = new WeakSet<Sequelize>();

const HOOK_NAME = 'tbpOnPrimary';

function hook(sequelize: Sequelize): void {
  if (hooked.has(sequelize)) return;
  hooked.add(sequelize);
  // Sequelize picks the pool (replica or primary) right after this hook, from the options it is given:
  // a read outside a transaction asks for a connection here, so this is where it can be kept on the primary.
  sequelize.addHook('beforePoolAcquire', HOOK_NAME, (options) => {
    if (options && onPrimaryOf.getStore()?.has(sequelize)) options.useMaster = true;
  });
}

/**
 * Runs `fn` with every query of `sequelize` on the primary (Sequelize's
 * `useMaster: true`), so that its reads see the writes made just before,
 * also those of other requests that committed there. Without read replicas
 * it only runs `fn`. Nested calls, and calls for other instances, combine.
 */
export async function onPrimary<T>(sequelize: Sequelize, fn: () => T | Promise<T>): Promise<T> {
  // Replication is fixed when the instance is built: without it every query is on the one server already.
  if (!(sequelize as unknown as { options: { replication?: unknown } }).options.replication) return fn();
  const current = onPrimaryOf.getStore();
  if (current?.has(sequelize)) return fn();
  hook(sequelize);
  return onPrimaryOf.run(new Set([...(current ?? []), sequelize]), fn);
}
