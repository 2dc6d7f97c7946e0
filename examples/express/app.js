import { canWhy, InvalidIdError, logAccess, publishEnvironment, visibleProductionPages } from '@tbp/models';
import express from 'express';
import { Sequelize } from 'sequelize';

/**
 * Maps the package's errors to HTTP: a ValidationError names the fields, a duplicate is a conflict, an id that
 * is no UUID finds nothing. Anything else is a 500 that says nothing of the error (logged for the operator).
 */
function sendError(res, error) {
  if (error instanceof Sequelize.UniqueConstraintError) {
    return res.status(409).json({ error: 'conflict', fields: Object.keys(error.fields) });
  }
  if (error instanceof Sequelize.ValidationError) {
    return res
      .status(400)
      .json({ error: 'invalid', fields: error.errors.map((item) => ({ field: item.path, message: item.message })) });
  }
  if (error instanceof InvalidIdError) return res.status(404).json({ error: 'not found' });
  if (error instanceof SyntaxError && error.type === 'entity.parse.failed') {
    return res.status(400).json({ error: 'the body is not JSON' });
  }
  console.error(error);
  return res.status(500).json({ error: 'internal error' });
}

/**
 * Who is calling. The `x-user-id` header stands in for real authentication (a session, a verified JWT):
 * whatever establishes the user, the rest of the app only needs `req.userId`. Every write after this
 * middleware runs inside `db.withActor`, so `createdById`/`updatedById` fill themselves in.
 * It goes after the body parsers: a parser resumes the request from a stream event, outside the context.
 */
export function actor(db) {
  return (req, res, next) => {
    const userId = req.get('x-user-id') ?? null;
    req.userId = userId;
    if (userId === null) return next();
    try {
      db.withActor(userId, next);
    } catch (error) {
      if (error instanceof InvalidIdError) return res.status(400).json({ error: error.message });
      throw error;
    }
  };
}

/**
 * A guard built on `canWhy`: the project is the route's `:id`, the environment the body's (dev by default).
 * 401 for an anonymous caller, 403 with D9's reason for anyone else who may not.
 */
export function allow(db, action, entity) {
  return async (req, res, next) => {
    let decision;
    try {
      decision = await canWhy(db, req.userId, action, entity, {
        projectId: req.params.id ?? null,
        environment: req.body?.environment ?? 'dev',
      });
    } catch (error) {
      if (error instanceof InvalidIdError) return res.status(404).json({ error: 'no such project' });
      throw error;
    }
    if (decision.allowed) return next();
    const status = decision.rule === 'anonymous' ? 401 : 403;
    res.status(status).json({ error: 'forbidden', rule: decision.rule, reason: decision.reason });
  };
}

/** The app, over a registry from `createDb()` or `createTestDb()`. */
export function createApp(db) {
  const app = express();
  app.use(express.json());
  app.use(actor(db));

  app.post('/projects', async (req, res) => {
    if (!req.userId) return res.status(401).json({ error: 'sign in to create a project' });
    try {
      const { name, slug, visibility = 'public' } = req.body;
      // createdById comes from the actor; the creator owns the project.
      const project = await db.projects.create({ name, slug, production_presentation_visibility: visibility });
      await db.project_memberships.create({
        projectId: project.id,
        userId: req.userId,
        access_level: 'owner',
        is_active: true,
      });
      res.status(201).json(project);
    } catch (error) {
      sendError(res, error);
    }
  });

  app.post('/projects/:id/pages', allow(db, 'CREATE', 'tour_pages'), async (req, res) => {
    try {
      const { name, slug, environment = 'dev', requires_auth = false, ui_schema_json = null } = req.body;
      const page = await db.tour_pages.create({
        name,
        slug,
        environment,
        requires_auth,
        ui_schema_json,
        projectId: req.params.id,
      });
      res.status(201).json(page);
    } catch (error) {
      sendError(res, error);
    }
  });

  app.post('/projects/:id/save-to-stage', allow(db, 'SAVE_TO_STAGE', 'projects'), async (req, res) => {
    const result = await publishEnvironment(db, req.params.id, 'dev', 'stage', { userId: req.userId });
    res.status(201).json({ pagesCopied: result.pagesCopied });
  });

  app.post('/projects/:id/publish', allow(db, 'PUBLISH', 'projects'), async (req, res) => {
    const result = await publishEnvironment(db, req.params.id, 'stage', 'production', { userId: req.userId });
    res.status(201).json({ pagesCopied: result.pagesCopied });
  });

  app.get('/projects/:id/production', allow(db, 'READ', 'projects'), async (req, res) => {
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

  // The published presentation: what this visitor may see of it, or a 404 that does not tell a private
  // presentation from a missing one.
  app.get('/presentations/:id', async (req, res) => {
    try {
      const pages = await visibleProductionPages(db, req.params.id, req.userId);
      if (pages.length === 0) return res.status(404).json({ error: 'no such presentation' });
      await logAccess(db, {
        environment: 'production',
        path: req.originalUrl,
        ip: req.ip,
        userAgent: req.get('user-agent') ?? null,
        projectId: req.params.id,
        userId: req.userId,
      });
      res.json({ pages: pages.map((page) => ({ slug: page.slug, name: page.name })) });
    } catch (error) {
      if (error instanceof InvalidIdError) return res.status(404).json({ error: 'no such presentation' });
      sendError(res, error);
    }
  });

  // Last: every error a route throws (or rejects with) becomes JSON, never Express's HTML page with a stack.
  app.use((error, _req, res, next) => {
    if (res.headersSent) return next(error);
    sendError(res, error);
  });

  return app;
}
