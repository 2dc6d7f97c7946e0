import express from 'express';
import { Sequelize } from 'sequelize';

/** Maps the package's errors to HTTP: a ValidationError names the fields, a duplicate is a conflict. */
function sendError(res, error) {
  if (error instanceof Sequelize.UniqueConstraintError) {
    return res.status(409).json({ error: 'conflict', fields: Object.keys(error.fields) });
  }
  if (error instanceof Sequelize.ValidationError) {
    return res
      .status(400)
      .json({ error: 'invalid', fields: error.errors.map((item) => ({ field: item.path, message: item.message })) });
  }
  return res.status(500).json({ error: error.message });
}

/** The app, over a registry from `createDb()` or `createTestDb()`. */
export function createApp(db) {
  const app = express();
  app.use(express.json());

  app.post('/projects', async (req, res) => {
    try {
      const { name, slug, ownerId } = req.body;
      const project = await db.projects.create({ name, slug, createdById: ownerId ?? null });
      if (ownerId)
        await db.project_memberships.create({ projectId: project.id, userId: ownerId, access_level: 'owner' });
      res.status(201).json(project);
    } catch (error) {
      sendError(res, error);
    }
  });

  app.post('/projects/:id/pages', async (req, res) => {
    try {
      const project = await db.projects.findByPk(req.params.id);
      if (!project) return res.status(404).json({ error: 'no such project' });
      const { name, slug, environment = 'dev', ui_schema_json = null } = req.body;
      const page = await db.tour_pages.create({ name, slug, environment, ui_schema_json, projectId: project.id });
      res.status(201).json(page);
    } catch (error) {
      sendError(res, error);
    }
  });

  app.get('/projects/:id/production', async (req, res) => {
    const project = await db.projects.findOne({
      where: { id: req.params.id },
      include: [
        { association: 'tour_pages_project', where: { environment: 'production' }, required: false },
        { association: 'project_memberships_project', include: ['user'] },
      ],
      order: [[{ model: db.tour_pages, as: 'tour_pages_project' }, 'sort_order', 'ASC']],
    });
    if (!project) return res.status(404).json({ error: 'no such project' });
    res.json({
      project: { id: project.id, name: project.name, slug: project.slug },
      pages: project.tour_pages_project.map((page) => ({ slug: page.slug, name: page.name })),
      members: project.project_memberships_project.map((m) => ({ access: m.access_level, user: m.user })),
    });
  });

  return app;
}
