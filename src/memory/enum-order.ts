/*
 * PostgreSQL orders the values of an ENUM as the type declares them
 * (`'dev' < 'stage' < 'production'`); pg-mem 3.0.14 compares them as text
 * (`'production' < 'stage'`), in ORDER BY, in <, >, BETWEEN and in its
 * indexes alike. Its enum type (src/datatypes/t-custom-enum.ts) inherits the
 * text comparison from its base type; the two comparisons are replaced on
 * that class, once per process, before any index is built on an enum.
 *
 * pg-mem does not export the class: it is reached through an enum of a
 * throw-away database. If pg-mem's shape changes, this fails loudly (and the
 * ENUM ordering test of __tests__/models/queries.test.ts fails on pg-mem).
 */

interface EnumType {
  values: string[];
  doGt(a: string, b: string): boolean;
  doLt(a: string, b: string): boolean;
}

let patched = false;

export function orderEnumsAsDeclared(pgMem: typeof import('pg-mem')): void {
  if (patched) return;
  const probe = pgMem.newDb();
  probe.public.registerEnum('probe', ['second', 'first']);
  const type = probe.public.getType('probe' as never) as unknown as EnumType;
  const prototype = Object.getPrototypeOf(type) as EnumType;
  if (!Array.isArray(type.values) || typeof prototype.doGt !== 'function' || typeof prototype.doLt !== 'function') {
    throw new Error(
      'pg-mem has changed: its enum type no longer has values, doGt and doLt (see src/memory/enum-order.ts)',
    );
  }
  prototype.doGt = function doGt(this: EnumType, a: string, b: string) {
    return this.values.indexOf(a) > this.values.indexOf(b);
  };
  prototype.doLt = function doLt(this: EnumType, a: string, b: string) {
    return this.values.indexOf(a) < this.values.indexOf(b);
  };
  patched = true;
}
