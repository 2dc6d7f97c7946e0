import { DataTypes, QueryTypes, Sequelize, type Transaction } from 'sequelize';
import type { ModelCtor } from './decorators';
import { isUuid } from './invalid-argument';
import { fixedStatement } from './statements';

/**
 * `findByPk` without Sequelize's finder: the statement of each model is built
 * once (its columns as the model's scope selects them) and sent through
 * `sequelize.query`, so logging, retries, timeouts, replicas and redaction
 * are those of every other query, and the rows become instances as
 * `findAll` makes them. What the finder costs besides (copying the options,
 * expanding the scope, writing the SQL) is some 0.1 ms a call, as much as the
 * round trip to a local server.
 *
 * It answers only what it answers exactly as the finder would: a UUID key,
 * options among `raw`, `transaction`, `paranoid` and `useMaster`, a model on
 * a server (pg-mem keeps the finder), whose scope at most leaves attributes
 * out (as it is at the call: a scope replaced later makes a new statement),
 * with no find hooks but the package's own, no query hooks or query defaults
 * on the instance and no CLS namespace. Anything else returns `NOT_FAST`, and
 * the finder does it.
 */

export const NOT_FAST: unique symbol = Symbol('not fast');

export interface FastFindOptions {
  raw?: boolean | undefined;
  transaction?: Transaction | null | undefined;
  paranoid?: boolean | undefined;
  useMaster?: boolean | undefined;
}

const OPTIONS = new Set(['raw', 'transaction', 'paranoid', 'useMaster']);
const FIND_HOOKS = ['beforeFind', 'beforeFindAfterExpandIncludeAll', 'beforeFindAfterOptions', 'afterFind'] as const;

interface Plan {
  /** What the plan was made from: a scope or attributes replaced since (`addScope`, `refreshAttributes`) make a new one. */
  scope: unknown;
  definitions: unknown;
  /** The attributes selected, as `findAll` gives them to `bulkBuild`. */
  attributes: string[];
  /** Live rows only (paranoid), and any row. */
  alive: string;
  any: string;
}

type Hook = ((...args: unknown[]) => unknown) | { fn: (...args: unknown[]) => unknown };
type Inner = ModelCtor & {
  _scope?: Record<string, unknown>;
  _timestampAttributes?: { deletedAt?: string };
};

// Per model class (a scoped model is a class of its own): its statement, or null when it has none.
const plans = new WeakMap<object, Plan | null>();

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

function planOf(model: Inner): Plan | null {
  let plan = plans.get(model);
  const scope = model._scope;
  const definitions = model.getAttributes();
  if (plan === undefined || (plan && (plan.scope !== scope || plan.definitions !== definitions))) {
    plan = makePlan(model);
    plans.set(model, plan);
  }
  return plan;
}

function makePlan(model: Inner): Plan | null {
  const scope = model._scope ?? {};
  if (Object.keys(scope).some((key) => key !== 'attributes')) return null;
  let exclude: unknown[] = [];
  if (scope.attributes !== undefined) {
    const attributes = scope.attributes as { exclude?: unknown };
    if (Array.isArray(attributes) || typeof attributes !== 'object' || attributes === null) return null;
    if (Object.keys(attributes).some((key) => key !== 'exclude') || !Array.isArray(attributes.exclude)) return null;
    exclude = attributes.exclude;
  }
  if (model.primaryKeyAttributes.length !== 1 || model.primaryKeyAttribute !== 'id') return null;
  const table = model.getTableName();
  if (typeof table !== 'string') return null;
  const definitions = model.getAttributes() as Record<string, { field?: string; type?: unknown }>;
  const attributes = Object.keys(definitions).filter((name) => !exclude.includes(name));
  // A virtual attribute may need others loaded: the finder knows which.
  if (attributes.some((name) => definitions[name]?.type instanceof DataTypes.VIRTUAL)) return null;
  const t = quote(table);
  const columns = attributes.map((name) => {
    const field = definitions[name]?.field ?? name;
    return field === name ? `${t}.${quote(name)}` : `${t}.${quote(field)} AS ${quote(name)}`;
  });
  const any = `SELECT ${columns.join(', ')} FROM ${t} AS ${t} WHERE ${t}.${quote(definitions.id?.field ?? 'id')} = $1`;
  const deletedAt = model.options.paranoid ? model._timestampAttributes?.deletedAt : undefined;
  // Sequelize compares deletedAt with its default value when it has one: the finder knows how.
  if (deletedAt && (definitions[deletedAt] as { defaultValue?: unknown } | undefined)?.defaultValue) return null;
  const deletedField = deletedAt && (definitions[deletedAt]?.field ?? deletedAt);
  const alive = deletedField ? `${any} AND ${t}.${quote(deletedField)} IS NULL` : any;
  fixedStatement(any);
  fixedStatement(alive);
  return { scope: model._scope, definitions: model.getAttributes(), attributes, alive, any };
}

function hookFunction(hook: Hook): unknown {
  return typeof hook === 'function' ? hook : hook.fn;
}

/** Whether every find hook of the model (and of its Sequelize instance) is one of `own`. */
function onlyOwnFindHooks(model: ModelCtor, own: ReadonlySet<unknown>): boolean {
  type Hooks = { options: { hooks?: Record<string, Hook[] | undefined> } };
  const hooks = (model as unknown as Hooks).options.hooks;
  const universal = (model.sequelize as unknown as Hooks).options.hooks;
  return FIND_HOOKS.every((type) =>
    [...(hooks?.[type] ?? []), ...(universal?.[type] ?? [])].every((hook) => own.has(hookFunction(hook))),
  );
}

/** Query hooks of the package's that read only a query's transaction, which the fast path gives as the finder does. */
const transactionOnlyQueryHooks = new WeakSet<object>();

/** Marks a `beforeQuery`/`afterQuery` hook as reading only the query's transaction (the timeouts' `SET LOCAL`). */
export function readsOnlyTransaction(hook: object): void {
  transactionOnlyQueryHooks.add(hook);
}

/**
 * Whether the instance's own settings change what a query answers or who sees
 * it: query defaults (`options.query`, e.g. `raw` or `plain`), unquoted
 * identifiers, `beforeQuery`/`afterQuery` hooks (which would see other
 * options than the finder's), a model-wide `rejectOnEmpty`.
 */
function settingsAllowFast(model: ModelCtor, sequelize: unknown): boolean {
  const options = (sequelize as { options: Record<string, unknown> }).options;
  const query = options.query as object | undefined;
  if (query && Object.keys(query).length > 0) return false;
  if (options.quoteIdentifiers === false) return false;
  const hooks = options.hooks as Record<string, Hook[] | undefined> | undefined;
  const ours = (hook: Hook) => transactionOnlyQueryHooks.has(hookFunction(hook) as object);
  if (!(hooks?.beforeQuery ?? []).every(ours) || !(hooks?.afterQuery ?? []).every(ours)) return false;
  return !(model as unknown as { options: { rejectOnEmpty?: unknown } }).options.rejectOnEmpty;
}

function usesCls(sequelize: unknown): boolean {
  const cls = (library: unknown) => (library as { _cls?: unknown } | undefined)?._cls !== undefined;
  return cls(Sequelize) || cls((sequelize as { constructor?: unknown }).constructor);
}

/**
 * The row of `model` whose key is `pk`, as `findByPk(pk, options)` answers it,
 * or `NOT_FAST` when the finder must answer. `ownHooks`: the package's find
 * hooks, which have nothing to do for a UUID key.
 */
export async function fastFindByPk(
  model: ModelCtor,
  pk: unknown,
  options: FastFindOptions | undefined,
  ownHooks: ReadonlySet<unknown>,
): Promise<unknown> {
  if (!isUuid(pk)) return NOT_FAST;
  if (options) {
    for (const key of Object.keys(options)) {
      if (!OPTIONS.has(key) && (options as Record<string, unknown>)[key] !== undefined) return NOT_FAST;
    }
  }
  const inner = model as Inner;
  const sequelize = model.sequelize;
  if (!sequelize || (sequelize as { memory?: unknown }).memory || usesCls(sequelize)) return NOT_FAST;
  if (!settingsAllowFast(model, sequelize) || !onlyOwnFindHooks(model, ownHooks)) return NOT_FAST;
  const plan = planOf(inner);
  if (!plan) return NOT_FAST;
  const rows = (await sequelize.query(options?.paranoid === false ? plan.any : plan.alive, {
    type: QueryTypes.SELECT,
    bind: [pk],
    raw: true,
    transaction: options?.transaction,
    ...(options?.useMaster === undefined ? {} : { useMaster: options.useMaster }),
  })) as Record<string, unknown>[];
  const [row] = rows;
  if (!row) return null;
  if (options?.raw) return row;
  return model.bulkBuild(
    [row] as never,
    {
      isNewRecord: false,
      raw: true,
      attributes: plan.attributes,
    } as never,
  )[0];
}
