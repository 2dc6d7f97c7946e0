import { Body, Controller, Get, HttpCode, Param, Post, Req, UnauthorizedException } from '@nestjs/common';
import { Access } from './access.guard';
import { userIdOf } from './auth';
import { ProjectsService } from './projects.service';

type PageInput = { name: string; slug: string; environment?: 'dev' | 'stage' | 'production'; requires_auth?: boolean };

@Controller('projects')
export class ProjectsController {
  constructor(private readonly service: ProjectsService) {}

  @Post()
  @HttpCode(201)
  create(
    @Body() body: { name: string; slug: string; visibility?: 'public' | 'private' },
    @Req() request: { headers: Record<string, string | string[] | undefined> },
  ) {
    const userId = userIdOf(request);
    if (!userId) throw new UnauthorizedException('sign in to create a project');
    return this.service.create(body, userId);
  }

  @Post(':id/pages')
  @HttpCode(201)
  @Access('CREATE', 'tour_pages')
  addPage(@Param('id') id: string, @Body() body: PageInput) {
    return this.service.addPage(id, body);
  }

  @Get(':id/production')
  @Access('READ', 'projects')
  production(@Param('id') id: string) {
    return this.service.production(id);
  }

  @Get(':id/publish-history')
  @Access('READ_PUBLISH_HISTORY', 'projects')
  publishHistory(@Param('id') id: string) {
    return this.service.publishHistory(id);
  }
}
