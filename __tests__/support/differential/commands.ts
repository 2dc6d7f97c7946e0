import fc from 'fast-check';
import { type Includeable, type Model, type ModelStatic, Op, type Transaction, type WhereOptions } from 'sequelize';
import { type Db, publishEnvironment, type TableName } from '../../../src';
import { MODEL_FACTORIES } from '../../models/rows';
import { type ColumnInfo, MODEL_TABLES, type ModelTable, type TableInfo, tableInfo } from './columns';

/*
 * The commands of a random program, for fast-check's model-based testing.
 * A command is plain data (small numbers that pick a table, a row, a column, a
 * value), so it shrinks well; it becomes a concrete call (`plan`) against the
 * program's model, the ids handed out so far, and that call runs on both
 * backends, whose answers the test compares.
 */

/** What a program has done so far, as the generator needs it: the ids it handed out, per table. */
export interface ProgramModel {
  ids: Partial<Record<TableName, string[]>>;
  rows: number;
  /** Calls run so far: each gets its own clock time and its own range of generated UUIDs. */
  steps: number;
  /** Set once the in-memory backend refused a construct: the two databases no longer hold the same rows. */
  diverged: boolean;
}

/** Runs one call on both backends and compares what they answer (see the test file). */
export interface Backends {
  onBoth(model: ProgramModel, label: string, action: Action): Promise<void>;
}

export type Action = (db: Db) => Promise<unknown>;
type Write = (db: Db, transaction?: Transaction) => Promise<unknown>;

/** A program's ids: recognisable, valid UUIDs, the same on both backends. */
export function programId(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}
/** A well-formed id that no row has: foreign keys to it fail, lookups find nothing. */
const DANGLING = '00000000-0000-4000-8000-00000000dead';

// The models' metadata, which check() needs too (it gets no backends); set by programCommands.
let schema: Db | undefined;
function infoOf(name: ModelTable): TableInfo {
  if (!schema) throw new Error('programCommands(schema) must be called first');
  return tableInfo(schema, name);
}

function pick<T>(options: readonly T[], n: number): T {
  return options[n % options.length] as T;
}

/** A model, typed loosely: the program's values are built from metadata, not from the model's types. */
type AnyModel = ModelStatic<Model>;
function modelOf(db: Db, table: TableName): AnyModel {
  return db[table] as unknown as AnyModel;
}

/** Values unique to a row, for the unique columns, so that most creates do not collide (some still do). */
const PER_ROW: Record<string, (row: number) => string> = {
  email: (row) => `user${row}@example.com`,
  slug: (row) => `s${row}`,
};

/**
 * The values a column may take in a program: its own, the ids of the rows it may point at, NULL where
 * allowed. One choice in eight takes a value that breaks a constraint (a dangling id, an email or a slug
 * another row may have): often enough to compare the errors, rarely enough to leave most writes standing.
 */
function optionsFor(model: Readonly<ProgramModel>, column: ColumnInfo, row: number, choice: number): unknown[] {
  const nulls = column.nullable ? [null] : [];
  const rare = choice % 8 === 7;
  if (column.kind === 'uuid') {
    const ids = column.references ? (model.ids[column.references] ?? []) : [];
    const common = [...ids, ...nulls];
    return rare || common.length === 0 ? [DANGLING] : common;
  }
  const perRow = PER_ROW[column.name];
  if (perRow && !rare) return [perRow(row)];
  return [...column.values, ...nulls];
}

function valueFor(model: Readonly<ProgramModel>, column: ColumnInfo, choice: number, row = 0): unknown {
  return pick(optionsFor(model, column, row, choice), choice);
}

/** A new row's values: every required column, some optional ones, and a program id. */
function rowValues(model: ProgramModel, table: TableInfo, picks: readonly number[]): Record<string, unknown> {
  model.rows += 1;
  const row = model.rows;
  const id = programId(row);
  const values: Record<string, unknown> = { id };
  const choice = (i: number) => picks[i % picks.length] ?? 0;
  // Never NULL: the factory would create a parent of its own, named from a counter that differs per backend.
  table.required.forEach((column, i) => {
    values[column.name] = valueFor(model, { ...column, nullable: false }, choice(i), row);
  });
  table.writable.forEach((column, i) => {
    const n = choice(i + table.required.length);
    if (column.optional && n % 3 === 0) return;
    values[column.name] = valueFor(model, column, n, row);
  });
  model.ids[table.table] = [...(model.ids[table.table] ?? []), id];
  return values;
}

/** The creates of a row of `table`, after those of the parents it needs and the program has none of yet. */
function planCreate(model: ProgramModel, table: ModelTable, picks: readonly number[]): Write[] {
  const info = infoOf(table);
  const writes: Write[] = [];
  for (const column of info.required) {
    const parent = column.references as ModelTable;
    if ((model.ids[parent]?.length ?? 0) === 0) writes.push(...planCreate(model, parent, picks));
  }
  const values = rowValues(model, info, picks);
  writes.push((db, transaction) =>
    transaction ? modelOf(db, table).create(values, { transaction }) : MODEL_FACTORIES[table](db, values),
  );
  return writes;
}

/** Runs writes one after the other; answers what each answered (or the error that stopped them). */
function sequence(writes: Write[]): Write {
  return async (db, transaction) => {
    const results: unknown[] = [];
    for (const write of writes) results.push(await write(db, transaction));
    return results.length === 1 ? results[0] : results;
  };
}

function rowId(model: Readonly<ProgramModel>, table: TableName, ref: number): string {
  return pick([...(model.ids[table] ?? []), DANGLING], ref);
}

// --- where, order, include -------------------------------------------------------------

export interface Condition {
  column: number;
  op: number;
  value: number;
  value2: number;
}
const condition = fc.record({ column: fc.nat(), op: fc.nat(), value: fc.nat(), value2: fc.nat() });
const where = fc.record({ conditions: fc.array(condition, { maxLength: 3 }), or: fc.boolean(), not: fc.boolean() });
type WhereSpec = { conditions: Condition[]; or: boolean; not: boolean };

const LIKE_PATTERNS = ['%a%', 'Al%', '%_x', 'ün%', '50\\%%', "o'%", '%'];
const COMPARISONS = [Op.gt, Op.gte, Op.lt, Op.lte];

function conditionOf(model: ProgramModel, table: TableInfo, spec: Condition): WhereOptions {
  const column = pick(table.readable, spec.column);
  const value = () => valueFor(model, column, spec.value);
  const other = () => valueFor(model, column, spec.value2);
  // One, two or three values, repeats and NULLs included.
  const list = () => [value(), other(), valueFor(model, column, spec.value + spec.value2)].slice(0, 1 + (spec.op % 3));
  const ops: (() => unknown)[] = [
    () => value(),
    () => ({ [Op.ne]: value() }),
    () => ({ [Op.in]: list() }),
    () => ({ [Op.notIn]: list() }),
    () => ({ [Op.is]: null }),
    () => ({ [Op.not]: null }),
  ];
  if (column.kind === 'text') {
    const pattern = pick(LIKE_PATTERNS, spec.value);
    ops.push(
      () => ({ [Op.like]: pattern }),
      () => ({ [Op.iLike]: pattern }),
      () => ({ [Op.notLike]: pattern }),
      () => ({ [Op.startsWith]: String(value() ?? 'a').slice(0, 2) }),
    );
  }
  if (column.kind !== 'boolean' && column.kind !== 'json') {
    ops.push(
      () => ({ [pick(COMPARISONS, spec.value2)]: value() }),
      () => ({ [Op.between]: [value(), other()] }),
      () => ({ [Op.notBetween]: [value(), other()] }),
    );
  } else if (column.kind === 'boolean') {
    ops.push(() => ({ [Op.is]: pick([true, false], spec.value) }));
  }
  return { [column.name]: pick(ops, spec.op)() };
}

function whereOf(model: ProgramModel, table: TableInfo, spec: WhereSpec): WhereOptions {
  const parts = spec.conditions.map((part) => conditionOf(model, table, part));
  if (parts.length === 0) return {};
  const combined = parts.length === 1 ? (parts[0] as WhereOptions) : { [spec.or ? Op.or : Op.and]: parts };
  return spec.not ? { [Op.not]: combined } : combined;
}

const order = fc.option(fc.record({ column: fc.nat(), desc: fc.boolean() }), { nil: undefined });

function orderOf(table: TableInfo, spec: { column: number; desc: boolean } | undefined): [string, string][] {
  // The id breaks ties: without it, PostgreSQL may return equal rows in any order.
  if (!spec) return [['id', 'ASC']];
  return [
    [pick(table.readable, spec.column).name, spec.desc ? 'DESC' : 'ASC'],
    ['id', 'ASC'],
  ];
}

const include = fc.record({
  association: fc.nat(),
  required: fc.boolean(),
  where: fc.option(condition, { nil: undefined }),
  nested: fc.option(fc.nat(), { nil: undefined }),
});
type IncludeSpec = { association: number; required: boolean; where: Condition | undefined; nested: number | undefined };

function includesOf(model: ProgramModel, table: TableInfo, specs: IncludeSpec[]): Includeable[] {
  const used = new Set<string>();
  const includes: Includeable[] = [];
  for (const spec of specs) {
    const association = pick(table.associations, spec.association);
    if (used.has(association.name)) continue;
    used.add(association.name);
    const target = infoOf(association.target as ModelTable);
    const nested = spec.nested === undefined ? undefined : pick(target.associations, spec.nested);
    includes.push({
      association: association.name,
      required: spec.required,
      ...(spec.where ? { where: conditionOf(model, target, spec.where) } : {}),
      ...(nested ? { include: [{ association: nested.name }] } : {}),
    });
  }
  return includes;
}

// --- the commands --------------------------------------------------------------------------

abstract class ProgramCommand implements fc.AsyncCommand<ProgramModel, Backends> {
  check(model: Readonly<ProgramModel>): boolean {
    return !model.diverged;
  }
  abstract run(model: ProgramModel, real: Backends): Promise<void>;
  abstract toString(): string;
}

/** A command that writes: it can also run inside a transaction. */
abstract class WriteCommand extends ProgramCommand {
  abstract plan(model: ProgramModel): Write;
  async run(model: ProgramModel, real: Backends): Promise<void> {
    const write = this.plan(model);
    await real.onBoth(model, this.toString(), (db) => write(db));
  }
}

const table = fc.constantFrom(...MODEL_TABLES);

/** A table by name, or (a number) the n-th of the tables the program has rows in, so reads and writes find rows. */
type TableChoice = ModelTable | number;
const tableChoice: fc.Arbitrary<TableChoice> = fc.oneof(
  { arbitrary: fc.nat(), weight: 3 },
  { arbitrary: table, weight: 1 },
);

function tableFor(model: Readonly<ProgramModel>, choice: TableChoice): ModelTable {
  if (typeof choice === 'string') return choice;
  const populated = MODEL_TABLES.filter((name) => (model.ids[name]?.length ?? 0) > 0);
  return pick(populated.length > 0 ? populated : MODEL_TABLES, choice);
}
const picks = fc.array(fc.nat({ max: 64 }), { minLength: 1, maxLength: 24 });

class Create extends WriteCommand {
  constructor(
    readonly table: ModelTable,
    readonly picks: number[],
  ) {
    super();
  }
  plan(model: ProgramModel): Write {
    return sequence(planCreate(model, this.table, this.picks));
  }
  toString() {
    return `create ${this.table} ${JSON.stringify(this.picks)}`;
  }
}

class BulkCreate extends WriteCommand {
  constructor(
    readonly table: ModelTable,
    readonly count: number,
    readonly picks: number[],
  ) {
    super();
  }
  plan(model: ProgramModel): Write {
    const info = infoOf(this.table);
    const parents = info.required.flatMap((column) =>
      (model.ids[column.references as TableName]?.length ?? 0) === 0
        ? planCreate(model, column.references as ModelTable, this.picks)
        : [],
    );
    const rows = Array.from({ length: this.count }, (_, i) =>
      rowValues(model, info, [...this.picks.slice(i % this.picks.length), i]),
    );
    return sequence([
      ...parents,
      (db, transaction) => modelOf(db, this.table).bulkCreate(rows, { transaction, validate: true }),
    ]);
  }
  toString() {
    return `bulkCreate ${this.table} x${this.count} ${JSON.stringify(this.picks)}`;
  }
}

function changes(model: ProgramModel, table: TableInfo, picks: readonly number[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [i, n] of picks.slice(0, 3).entries()) {
    const column = pick(table.writable, n + i);
    values[column.name] = valueFor(model, column, picks[(i + 3) % picks.length] ?? 0, n);
  }
  return values;
}

class UpdateRow extends WriteCommand {
  constructor(
    readonly table: TableChoice,
    readonly ref: number,
    readonly picks: number[],
  ) {
    super();
  }
  plan(model: ProgramModel): Write {
    const name = tableFor(model, this.table);
    const id = rowId(model, name, this.ref);
    const values = changes(model, infoOf(name), this.picks);
    return async (db, transaction) => {
      const row = await modelOf(db, name).findByPk(id, { paranoid: false, transaction });
      return row ? row.update(values, { transaction }) : null;
    };
  }
  toString() {
    return `update one ${this.table}#${this.ref} ${JSON.stringify(this.picks)}`;
  }
}

class UpdateWhere extends WriteCommand {
  constructor(
    readonly table: TableChoice,
    readonly where: WhereSpec,
    readonly picks: number[],
    readonly paranoid: boolean,
  ) {
    super();
  }
  plan(model: ProgramModel): Write {
    const name = tableFor(model, this.table);
    const table = infoOf(name);
    const where = whereOf(model, table, this.where);
    const values = changes(model, table, this.picks);
    return (db, transaction) => modelOf(db, name).update(values, { where, paranoid: this.paranoid, transaction });
  }
  toString() {
    return `update ${this.table} where ${JSON.stringify(this.where)} ${JSON.stringify(this.picks)} paranoid:${this.paranoid}`;
  }
}

class DestroyRow extends WriteCommand {
  constructor(
    readonly table: TableChoice,
    readonly ref: number,
    readonly force: boolean,
  ) {
    super();
  }
  plan(model: ProgramModel): Write {
    const name = tableFor(model, this.table);
    const id = rowId(model, name, this.ref);
    return async (db, transaction) => {
      const row = await modelOf(db, name).findByPk(id, { paranoid: false, transaction });
      if (!row) return null;
      await row.destroy({ force: this.force, transaction });
      return row;
    };
  }
  toString() {
    return `destroy one ${this.table}#${this.ref}${this.force ? ' (force)' : ''}`;
  }
}

class DestroyWhere extends WriteCommand {
  constructor(
    readonly table: TableChoice,
    readonly where: WhereSpec,
    readonly force: boolean,
  ) {
    super();
  }
  plan(model: ProgramModel): Write {
    const name = tableFor(model, this.table);
    const where = whereOf(model, infoOf(name), this.where);
    return (db, transaction) => modelOf(db, name).destroy({ where, force: this.force, transaction });
  }
  toString() {
    return `destroy ${this.table} where ${JSON.stringify(this.where)}${this.force ? ' (force)' : ''}`;
  }
}

class RestoreRow extends WriteCommand {
  constructor(
    readonly table: TableChoice,
    readonly ref: number,
  ) {
    super();
  }
  plan(model: ProgramModel): Write {
    const name = tableFor(model, this.table);
    const id = rowId(model, name, this.ref);
    return async (db, transaction) => {
      const row = await modelOf(db, name).findByPk(id, { paranoid: false, transaction });
      if (!row) return null;
      await row.restore({ transaction });
      return row;
    };
  }
  toString() {
    return `restore one ${this.table}#${this.ref}`;
  }
}

class RestoreWhere extends WriteCommand {
  constructor(
    readonly table: TableChoice,
    readonly where: WhereSpec,
  ) {
    super();
  }
  plan(model: ProgramModel): Write {
    const name = tableFor(model, this.table);
    const where = whereOf(model, infoOf(name), this.where);
    return (db, transaction) => modelOf(db, name).restore({ where, transaction });
  }
  toString() {
    return `restore ${this.table} where ${JSON.stringify(this.where)}`;
  }
}

const LINKS = [
  { owner: 'users', accessor: 'Custom_permissions' },
  { owner: 'roles', accessor: 'Permissions' },
] as const;

class Link extends WriteCommand {
  constructor(
    readonly which: number,
    readonly ref: number,
    readonly permissions: number[],
    readonly method: 'add' | 'set' | 'remove',
  ) {
    super();
  }
  plan(model: ProgramModel): Write {
    const link = pick(LINKS, this.which);
    const id = rowId(model, link.owner, this.ref);
    const permissions = [...new Set(this.permissions.map((ref) => rowId(model, 'permissions', ref)))];
    return async (db, transaction) => {
      const owner = await modelOf(db, link.owner).findByPk(id, { transaction });
      if (!owner) return null;
      const method = (owner as unknown as Record<string, (ids: string[], options: object) => Promise<unknown>>)[
        `${this.method}${link.accessor}`
      ] as (ids: string[], options: object) => Promise<unknown>;
      await method.call(owner, permissions, { transaction });
      const [through, ownerKey] =
        link.owner === 'users'
          ? (['usersCustom_permissionsPermissions', 'users_custom_permissionsId'] as const)
          : (['rolesPermissionsPermissions', 'roles_permissionsId'] as const);
      return modelOf(db, through).findAll({ where: { [ownerKey]: id }, order: [['permissionId', 'ASC']], transaction });
    };
  }
  toString() {
    return `${this.method} ${pick(LINKS, this.which).owner}#${this.ref} permissions ${JSON.stringify(this.permissions)}`;
  }
}

// --- reads ----------------------------------------------------------------------------------

class Find extends ProgramCommand {
  constructor(
    readonly table: TableChoice,
    readonly kind: 'findAll' | 'findOne' | 'count',
    readonly where: WhereSpec,
    readonly order: { column: number; desc: boolean } | undefined,
    readonly limit: number | undefined,
    readonly offset: number | undefined,
    readonly paranoid: boolean,
    readonly includes: IncludeSpec[],
  ) {
    super();
  }
  async run(model: ProgramModel, real: Backends): Promise<void> {
    const name = tableFor(model, this.table);
    const table = infoOf(name);
    const where = whereOf(model, table, this.where);
    const include = includesOf(model, table, this.includes);
    const options = { where, paranoid: this.paranoid, include };
    const ordered = { ...options, order: orderOf(table, this.order) };
    await real.onBoth(model, this.toString(), (db) => {
      const target = modelOf(db, name);
      if (this.kind === 'count') return target.count({ ...options, distinct: true, col: 'id' });
      if (this.kind === 'findOne') return target.findOne(ordered);
      return target.findAll({
        ...ordered,
        ...(this.limit === undefined ? {} : { limit: this.limit }),
        ...(this.offset === undefined ? {} : { offset: this.offset }),
      });
    });
  }
  toString() {
    const { table, kind, where, order, limit, offset, paranoid, includes } = this;
    return `${kind} ${table} ${JSON.stringify({ where, order, limit, offset, paranoid, includes })}`;
  }
}

// --- transactions and publishing -------------------------------------------------------------

class Planned extends Error {
  override name = 'Planned';
}

const OUTCOMES = ['commit', 'rollback', 'savepoint rolled back, commit', 'savepoint released, rollback'] as const;

class InTransaction extends ProgramCommand {
  constructor(
    readonly outcome: (typeof OUTCOMES)[number],
    readonly writes: WriteCommand[],
  ) {
    super();
  }
  override check(model: Readonly<ProgramModel>): boolean {
    return super.check(model) && this.writes.every((write) => write.check(model));
  }
  async run(model: ProgramModel, real: Backends): Promise<void> {
    const writes = this.writes.map((write) => write.plan(model));
    const split = Math.ceil(writes.length / 2);
    await real.onBoth(model, this.toString(), async (db) => {
      const results: unknown[] = [];
      const each = async (list: Write[], transaction: Transaction) => {
        for (const write of list) results.push(await write(db, transaction).catch((error: unknown) => ({ error })));
      };
      const outcome = await db.sequelize
        .transaction(async (outer) => {
          if (this.outcome === 'commit' || this.outcome === 'rollback') {
            await each(writes, outer);
          } else {
            await each(writes.slice(0, split), outer);
            const savepoint = db.sequelize.transaction({ transaction: outer }, async (inner) => {
              await each(writes.slice(split), inner);
              if (this.outcome === 'savepoint rolled back, commit') throw new Planned();
            });
            results.push(await savepoint.catch((error: unknown) => ({ error })));
          }
          if (this.outcome.endsWith('rollback')) throw new Planned();
          return 'committed';
        })
        .catch((error: unknown) => ({ error }));
      return { results, outcome };
    });
  }
  toString() {
    return `transaction (${this.outcome}) [${this.writes.map(String).join('; ')}]`;
  }
}

const STEPS = [
  ['dev', 'stage'],
  ['stage', 'production'],
  ['production', 'dev'],
] as const;

class Publish extends ProgramCommand {
  constructor(
    readonly project: number,
    readonly step: number,
    readonly user: number | undefined,
  ) {
    super();
  }
  async run(model: ProgramModel, real: Backends): Promise<void> {
    const projectId = rowId(model, 'projects', this.project);
    const userId = this.user === undefined ? null : rowId(model, 'users', this.user);
    const [from, to] = pick(STEPS, this.step);
    await real.onBoth(model, this.toString(), (db) => publishEnvironment(db, projectId, from, to, { userId }));
  }
  toString() {
    return `publish projects#${this.project} ${pick(STEPS, this.step).join(' -> ')} by users#${this.user}`;
  }
}

/** The arbitrary of a random program over every model, `maxCommands` long at most. */
export function programCommands(db: Db, maxCommands: number, size: fc.SizeForArbitrary = 'small') {
  schema = db;
  const anyTable = table;
  const parentTable = fc.constantFrom<ModelTable>('projects', 'users', 'assets', 'roles', 'permissions');
  const creates = [
    fc.tuple(fc.oneof(parentTable, anyTable), picks).map(([t, p]) => new Create(t, p)),
    fc.tuple(anyTable, fc.integer({ min: 2, max: 24 }), picks).map(([t, n, p]) => new BulkCreate(t, n, p)),
  ];
  const writes: fc.Arbitrary<WriteCommand>[] = [
    ...creates,
    fc.tuple(tableChoice, fc.nat(), picks).map(([t, r, p]) => new UpdateRow(t, r, p)),
    fc.tuple(tableChoice, where, picks, fc.boolean()).map(([t, w, p, paranoid]) => new UpdateWhere(t, w, p, paranoid)),
    fc.tuple(tableChoice, fc.nat(), fc.boolean()).map(([t, r, force]) => new DestroyRow(t, r, force)),
    fc.tuple(tableChoice, where, fc.boolean()).map(([t, w, force]) => new DestroyWhere(t, w, force)),
    fc.tuple(tableChoice, fc.nat()).map(([t, r]) => new RestoreRow(t, r)),
    fc.tuple(tableChoice, where).map(([t, w]) => new RestoreWhere(t, w)),
    fc
      .tuple(
        fc.nat(),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 3 }),
        fc.constantFrom('add', 'set', 'remove') as fc.Arbitrary<'add' | 'set' | 'remove'>,
      )
      .map(([w, r, p, m]) => new Link(w, r, p, m)),
  ];
  const reads = fc
    .tuple(
      tableChoice,
      fc.constantFrom('findAll', 'findOne', 'count') as fc.Arbitrary<'findAll' | 'findOne' | 'count'>,
      where,
      order,
      fc.option(fc.nat({ max: 4 }), { nil: undefined }),
      fc.option(fc.nat({ max: 3 }), { nil: undefined }),
      fc.boolean(),
      fc.array(include, { maxLength: 2 }),
    )
    .map(([t, k, w, o, l, off, p, i]) => new Find(t, k, w, o, l, off, p, i));
  return fc.commands<ProgramModel, Backends, false>(
    [
      ...creates,
      ...creates,
      ...writes,
      reads,
      reads,
      reads,
      fc
        .tuple(fc.constantFrom(...OUTCOMES), fc.array(fc.oneof(...writes), { minLength: 1, maxLength: 3 }))
        .map(([outcome, list]) => new InTransaction(outcome, list)),
      fc
        .tuple(fc.nat(), fc.nat({ max: 2 }), fc.option(fc.nat(), { nil: undefined }))
        .map(([p, s, u]) => new Publish(p, s, u)),
    ],
    { maxCommands, size },
  );
}
