import { Module, type OnModuleInit } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { InjectConnection, SequelizeModule } from '@nestjs/sequelize';
import { dbConfig, models, Project, ProjectMembership, PublishEvent, sequelizeOptions, TourPage } from '@tbp/models';
import { migrate } from '@tbp/models/migrations';
import { inMemorySequelizeOptions } from '@tbp/models/testing';
import type { Sequelize } from 'sequelize-typescript';
import { AccessGuard } from './access.guard';
import { ActorInterceptor } from './actor.interceptor';
import { PresentationsController } from './presentations.controller';
import { ProjectsController } from './projects.controller';
import { ProjectsService } from './projects.service';
import { ValidationFilter } from './validation.filter';

/**
 * The app: on the PostgreSQL server that `DATABASE_URL` / `DB_*` and `NODE_ENV` select, or in memory when
 * `NODE_ENV=test` (as its e2e test runs). The schema comes from the package's migrations either way.
 */
const connection = dbConfig();

@Module({
  imports: [
    SequelizeModule.forRoot({
      ...(connection.inMemory ? inMemorySequelizeOptions() : sequelizeOptions(connection)),
      models,
      synchronize: false,
    }),
    SequelizeModule.forFeature([Project, TourPage, ProjectMembership, PublishEvent]),
  ],
  controllers: [ProjectsController, PresentationsController],
  providers: [
    ProjectsService,
    { provide: APP_FILTER, useClass: ValidationFilter },
    { provide: APP_GUARD, useClass: AccessGuard },
    { provide: APP_INTERCEPTOR, useClass: ActorInterceptor },
  ],
})
export class AppModule implements OnModuleInit {
  constructor(@InjectConnection() private readonly sequelize: Sequelize) {}

  async onModuleInit(): Promise<void> {
    await migrate(this.sequelize);
  }
}
