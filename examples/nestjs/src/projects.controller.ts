import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ProjectsService } from './projects.service';

@Controller('projects')
export class ProjectsController {
  constructor(private readonly service: ProjectsService) {}

  @Post()
  @HttpCode(201)
  create(@Body() body: { name: string; slug: string; ownerId?: string }) {
    return this.service.create(body);
  }

  @Post(':id/pages')
  @HttpCode(201)
  addPage(
    @Param('id') id: string,
    @Body() body: { name: string; slug: string; environment?: 'dev' | 'stage' | 'production' },
  ) {
    return this.service.addPage(id, body);
  }

  @Get(':id/production')
  production(@Param('id') id: string) {
    return this.service.production(id);
  }
}
