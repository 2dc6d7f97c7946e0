/**
 * Prisma 7: the `prisma-client` generator's client (query compiler in
 * WebAssembly, no engine binary) over `@prisma/adapter-pg`. `include` with
 * filtered, ordered relations for the nested reads (relation joins: one
 * query with LATERAL JSON, `relationJoins` preview feature), a global `omit`
 * for the users' secrets, `updateMany` for the writes by id with the
 * soft-delete filter (`@updatedAt` sets updatedAt), and `createMany` with
 * `skipDuplicates` in a transaction for the import.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { type Contender, type Environment, type ImportRow, POOL_SIZE } from './contender';
import { type Prisma, PrismaClient } from './generated/prisma/client';

export const name = 'prisma';
/** What a cold start loads. */
export const file = __filename;

export function define(url: string) {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: url, max: POOL_SIZE }),
    omit: { users: { password: true, emailVerificationToken: true, passwordResetToken: true } },
  });
}

export async function setup(url: string): Promise<Contender> {
  const prisma = define(url);
  await prisma.$connect();
  return {
    name,
    close: () => prisma.$disconnect(),
    ops: {
      byPk: (id) => prisma.projects.findUnique({ where: { id, deletedAt: null } }),
      projectWithPagesMembers: (id) =>
        prisma.projects.findUnique({
          where: { id, deletedAt: null },
          include: {
            tour_pages_project: {
              where: { environment: 'production', deletedAt: null },
              orderBy: { sort_order: 'asc' },
            },
            project_memberships_project: { where: { deletedAt: null }, include: { user: true } },
          },
        }),
      pagesByName: (projectId) =>
        prisma.tour_pages.findMany({
          where: { projectId, deletedAt: null },
          orderBy: { name: 'asc' },
          take: 100,
        }),
      insertPage: (page) =>
        prisma.tour_pages.create({
          data: { ...page, ui_schema_json: page.ui_schema_json as Prisma.InputJsonObject },
          select: { id: true },
        }),
      updatePageName: (id, name) => prisma.tour_pages.updateMany({ where: { id, deletedAt: null }, data: { name } }),
      softDeletePage: (id) =>
        prisma.tour_pages.updateMany({ where: { id, deletedAt: null }, data: { deletedAt: new Date() } }),
      importPages: async (rows: ImportRow[]) => {
        const [result] = await prisma.$transaction([
          prisma.tour_pages.createMany({ data: rows as Prisma.tour_pagesCreateManyInput[], skipDuplicates: true }),
        ]);
        return result.count;
      },
      presentation: (id, environment: Environment) =>
        prisma.projects.findUnique({
          where: { id, deletedAt: null },
          include: {
            tour_pages_project: { where: { environment, deletedAt: null }, orderBy: { sort_order: 'asc' } },
            project_transition_settings_project: { where: { environment, deletedAt: null } },
            project_audio_tracks_project: { where: { environment, deletedAt: null }, orderBy: { sort_order: 'asc' } },
            project_element_defaults_project: { where: { deletedAt: null }, orderBy: { sort_order: 'asc' } },
          },
        }),
    },
  };
}
