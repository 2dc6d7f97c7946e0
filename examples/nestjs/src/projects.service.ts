import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectModel } from '@nestjs/sequelize';
import { Project, ProjectMembership, PublishEvent, TourPage } from '@tbp/models';

@Injectable()
export class ProjectsService {
  constructor(
    @InjectModel(Project) private readonly projects: typeof Project,
    @InjectModel(TourPage) private readonly pages: typeof TourPage,
    @InjectModel(ProjectMembership) private readonly memberships: typeof ProjectMembership,
    @InjectModel(PublishEvent) private readonly publishEvents: typeof PublishEvent,
  ) {}

  /** The creator owns the project; `createdById` comes from the actor (ActorInterceptor). */
  async create(input: { name: string; slug: string; visibility?: 'public' | 'private' }, ownerId: string) {
    const project = await this.projects.create({
      name: input.name,
      slug: input.slug,
      production_presentation_visibility: input.visibility ?? 'public',
    });
    await this.memberships.create({ projectId: project.id, userId: ownerId, access_level: 'owner', is_active: true });
    return project;
  }

  async addPage(
    projectId: string,
    input: { name: string; slug: string; environment?: 'dev' | 'stage' | 'production'; requires_auth?: boolean },
  ) {
    return this.pages.create({ ...input, projectId });
  }

  async production(projectId: string) {
    const project = await this.projects.findOne({
      where: { id: projectId },
      include: [
        { association: 'tour_pages_project', where: { environment: 'production' }, required: false },
        { association: 'project_memberships_project', include: ['user'] },
      ],
    });
    if (!project) throw new NotFoundException('no such project');
    return {
      project: { id: project.id, name: project.name, slug: project.slug },
      pages: (project.tour_pages_project ?? []).map((page) => ({ slug: page.slug, name: page.name })),
      members: (project.project_memberships_project ?? []).map((m) => ({ access: m.access_level, user: m.user })),
    };
  }

  async publishHistory(projectId: string) {
    const events = await this.publishEvents.findAll({ where: { projectId }, order: [['createdAt', 'DESC']] });
    return events.map((event) => ({ title: event.title, status: event.status }));
  }
}
