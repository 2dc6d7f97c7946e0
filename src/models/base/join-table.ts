import type { CreationOptional, InferAttributes, InferCreationAttributes } from 'sequelize';
import { Model, type TableOptions } from './decorators';

/** Join tables (decision D4): a composite primary key over both foreign keys, timestamps, no soft delete. */
export abstract class JoinModel<M extends JoinModel<M>> extends Model<InferAttributes<M>, InferCreationAttributes<M>> {
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export function joinTable(tableName: string): TableOptions {
  return { tableName, modelName: tableName, timestamps: true, paranoid: false, freezeTableName: true };
}
