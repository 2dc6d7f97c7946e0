import { Controller, Get, NotFoundException, Param, Req } from '@nestjs/common';
import { InjectConnection } from '@nestjs/sequelize';
import { InvalidIdError, logAccess, visibleProductionPages } from '@tbp/models';
import type { Sequelize } from 'sequelize-typescript';
import { userIdOf } from './auth';

interface HttpRequest {
  headers: Record<string, string | string[] | undefined>;
  originalUrl: string;
  ip?: string;
}

/** The published presentation: what this visitor may see of it, or a 404 that does not tell private from missing. */
@Controller('presentations')
export class PresentationsController {
  constructor(@InjectConnection() private readonly sequelize: Sequelize) {}

  @Get(':id')
  async show(@Param('id') id: string, @Req() request: HttpRequest) {
    const userId = userIdOf(request);
    const pages = await visibleProductionPages(this.sequelize, id, userId).catch((error: unknown) => {
      if (error instanceof InvalidIdError) return [];
      throw error;
    });
    if (pages.length === 0) throw new NotFoundException('no such presentation');
    const agent = request.headers['user-agent'];
    await logAccess(this.sequelize, {
      environment: 'production',
      path: request.originalUrl,
      ip: request.ip ?? null,
      userAgent: typeof agent === 'string' ? agent : null,
      projectId: id,
      userId,
    });
    return { pages: pages.map((page) => ({ slug: page.slug, name: page.name })) };
  }
}
