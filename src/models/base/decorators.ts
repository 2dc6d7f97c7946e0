/**
 * What the package takes from sequelize-typescript, each from the file that
 * defines it. The package's main module loads 143 files (every hook and
 * validation decorator, glob for model paths): about 15 ms of CPU at start-up
 * that these 56 files do not cost. The only module that reaches into
 * sequelize-typescript's `dist/` paths; `__tests__/unit/dependency-shapes.test.ts`
 * holds each export here to be its main module's own.
 */
export { BelongsTo } from 'sequelize-typescript/dist/associations/belongs-to/belongs-to';
export { BelongsToMany } from 'sequelize-typescript/dist/associations/belongs-to-many/belongs-to-many';
export { HasMany } from 'sequelize-typescript/dist/associations/has/has-many';
export { BeforeBulkCreate } from 'sequelize-typescript/dist/hooks/bulk/before/before-bulk-create';
export { BeforeBulkDestroy } from 'sequelize-typescript/dist/hooks/bulk/before/before-bulk-destroy';
export { BeforeBulkRestore } from 'sequelize-typescript/dist/hooks/bulk/before/before-bulk-restore';
export { BeforeBulkUpdate } from 'sequelize-typescript/dist/hooks/bulk/before/before-bulk-update';
export { ValidationFailed } from 'sequelize-typescript/dist/hooks/shared/validation-failed';
export { AfterDestroy } from 'sequelize-typescript/dist/hooks/single/after/after-destroy';
export { AfterRestore } from 'sequelize-typescript/dist/hooks/single/after/after-restore';
export { AfterValidate } from 'sequelize-typescript/dist/hooks/single/after/after-validate';
export { BeforeCount } from 'sequelize-typescript/dist/hooks/single/before/before-count';
export { BeforeDestroy } from 'sequelize-typescript/dist/hooks/single/before/before-destroy';
export { BeforeFind } from 'sequelize-typescript/dist/hooks/single/before/before-find';
export { BeforeRestore } from 'sequelize-typescript/dist/hooks/single/before/before-restore';
export { BeforeSave } from 'sequelize-typescript/dist/hooks/single/before/before-save';
export { BeforeUpsert } from 'sequelize-typescript/dist/hooks/single/before/before-upsert';
export { BeforeValidate } from 'sequelize-typescript/dist/hooks/single/before/before-validate';
export { Column } from 'sequelize-typescript/dist/model/column/column';
export { Default } from 'sequelize-typescript/dist/model/column/column-options/default';
export { PrimaryKey } from 'sequelize-typescript/dist/model/column/primary-key/primary-key';
export type { ModelCtor } from 'sequelize-typescript/dist/model/model/model';
export { Model } from 'sequelize-typescript/dist/model/model/model';
export { Table } from 'sequelize-typescript/dist/model/table/table';
export type { TableOptions } from 'sequelize-typescript/dist/model/table/table-options';
export { DefaultScope } from 'sequelize-typescript/dist/scopes/default-scope';
export { Scopes } from 'sequelize-typescript/dist/scopes/scopes';
export { DataType } from 'sequelize-typescript/dist/sequelize/data-type/data-type';
export { Sequelize } from 'sequelize-typescript/dist/sequelize/sequelize/sequelize';
export type { SequelizeOptions } from 'sequelize-typescript/dist/sequelize/sequelize/sequelize-options';
