import type { CreationOptional } from 'sequelize';
import { hexColour, integer, table, text } from './base/columns';
import { Column, Table } from './base/decorators';
import { BaseModel } from './base/model';

/** Platform defaults for page transitions (decision D5). */
@Table(table('global_transition_defaults'))
export class GlobalTransitionDefault extends BaseModel<GlobalTransitionDefault> {
  @Column(text('Transition type', { allowNull: false, defaultValue: 'fade', notEmpty: true, len: [1, 50] }))
  declare transition_type: CreationOptional<string>;

  @Column(integer('Duration (ms)', { allowNull: false, defaultValue: 700, min: 0, max: 10000 }))
  declare duration_ms: CreationOptional<number>;

  @Column(text('Easing', { allowNull: false, defaultValue: 'ease-in-out', notEmpty: true, len: [1, 100] }))
  declare easing: CreationOptional<string>;

  @Column(hexColour('Overlay colour'))
  declare overlay_color: CreationOptional<string>;
}
