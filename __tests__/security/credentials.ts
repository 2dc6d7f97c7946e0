import { inspect } from 'node:util';

/** Every way an error reaches a log or a response: none of them may hold any of `secrets`. */
export function expectNothingOf(secrets: readonly string[], error: unknown): void {
  const views = {
    json: JSON.stringify(error),
    inspect: inspect(error, { depth: 20 }),
    string: String(error),
    stack: (error as Error).stack ?? '',
  };
  for (const secret of secrets) {
    for (const [view, text] of Object.entries(views)) {
      if (text.includes(secret)) throw new Error(`the error's ${view} holds a secret (${secret.length} characters)`);
    }
  }
}

/** What is in `users` past every scope: the password and token columns as stored. */
export interface StoredUser {
  id: string;
  email: string;
  password: string;
  passwordResetToken: string | null;
  passwordResetTokenExpiresAt: Date | null;
  emailVerificationToken: string | null;
  emailVerificationTokenExpiresAt: Date | null;
  emailVerified: boolean;
  updatedAt: Date;
}

export async function storedUsers(sequelize: {
  query(sql: string, options: object): Promise<unknown>;
}): Promise<StoredUser[]> {
  return (await sequelize.query('SELECT * FROM "users" ORDER BY "email"', { type: 'SELECT' })) as StoredUser[];
}
