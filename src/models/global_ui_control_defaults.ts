import type { CreationOptional } from 'sequelize';
import { boolean, table } from './base/columns';
import { Column, Table } from './base/decorators';
import { BaseModel } from './base/model';

/** Platform defaults for the viewer's controls (decision D5). */
@Table(table('global_ui_control_defaults'))
export class GlobalUiControlDefault extends BaseModel<GlobalUiControlDefault> {
  @Column(boolean('Fullscreen enabled', { allowNull: false, defaultValue: true }))
  declare fullscreen_enabled: CreationOptional<boolean>;

  @Column(boolean('Sound enabled', { allowNull: false, defaultValue: true }))
  declare sound_enabled: CreationOptional<boolean>;

  @Column(boolean('Offline enabled', { allowNull: false, defaultValue: false }))
  declare offline_enabled: CreationOptional<boolean>;
}
