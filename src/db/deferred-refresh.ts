import { Model } from 'sequelize';

/**
 * Sequelize recomputes a model's derived attribute maps (`refreshAttributes`:
 * getters and setters, sanitizers, default values, validators, key maps) after
 * every association that touches the model: 129 times for the package's 23
 * tables, about a third of `createDb`. While `build` defines and associates the
 * models, each model refreshes at its first call (its `init` needs the maps)
 * and its later calls are only noted; each noted model then refreshes once, at
 * the end, from the same raw attributes, so the result is the same (a test
 * compares every model's maps built both ways).
 *
 * `refreshAttributes` is not in Sequelize's typings: this module is the one
 * place that relies on it, and `__tests__/unit/dependency-shapes.test.ts`
 * holds its shape.
 */
export function withDeferredRefresh<T>(build: () => T): T {
  type Refreshable = typeof Model & { refreshAttributes(this: typeof Model): void };
  const base = Model as Refreshable;
  const own = Object.getOwnPropertyDescriptor(base, 'refreshAttributes');
  const refresh = own?.value as Refreshable['refreshAttributes'] | undefined;
  if (typeof refresh !== 'function') return build();
  const refreshed = new Set<typeof Model>();
  const pending = new Set<typeof Model>();
  // Synchronous from here to the end: nothing else runs while the static method is replaced.
  Object.defineProperty(base, 'refreshAttributes', {
    ...own,
    value: function deferredRefresh(this: typeof Model) {
      if (refreshed.has(this)) {
        pending.add(this);
        return;
      }
      refreshed.add(this);
      refresh.call(this);
    },
  });
  try {
    return build();
  } finally {
    Object.defineProperty(base, 'refreshAttributes', own as PropertyDescriptor);
    for (const model of pending) refresh.call(model);
  }
}
