import { redactUrl } from '../../src';
import { REDACTED, redactError, redactSql, redactText, secretColumns } from '../../src/db/redact';

/** How the SQL and text redaction decides what is secret: the rules as a table. */

const isSecret = secretColumns(['password', 'passwordResetToken', 'emailVerificationToken']);
const HASH = `$2b$10$${'a'.repeat(53)}`;

describe('redactSql', () => {
  test.each([
    [
      'a where on a secret column',
      `SELECT "id" FROM "users" AS "users" WHERE ("users"."deletedAt" IS NULL AND "users"."passwordResetToken" = 'tok-1') LIMIT 1;`,
      `SELECT "id" FROM "users" AS "users" WHERE ("users"."deletedAt" IS NULL AND "users"."passwordResetToken" = '${REDACTED}') LIMIT 1;`,
    ],
    [
      'IN, LIKE, ANY and BETWEEN keep the column',
      `WHERE "passwordResetToken" IN ('a1', 'b2') OR "emailVerificationToken" LIKE 'c3%' OR "passwordResetToken" = ANY (ARRAY['d4']) OR "passwordResetToken" BETWEEN 'e5' AND 'f6'`,
      `WHERE "passwordResetToken" IN ('${REDACTED}', '${REDACTED}') OR "emailVerificationToken" LIKE '${REDACTED}' OR "passwordResetToken" = ANY (ARRAY['${REDACTED}']) OR "passwordResetToken" BETWEEN '${REDACTED}' AND '${REDACTED}'`,
    ],
    [
      'other columns keep their values, functions and casts do not take the place of the column',
      `WHERE lower("email") = 'ann@x.io' AND "passwordResetToken" = CAST('g7' AS TEXT) AND "passwordResetToken" = 'h8'::text AND "name" = 'n'`,
      `WHERE lower("email") = 'ann@x.io' AND "passwordResetToken" = CAST('${REDACTED}' AS TEXT) AND "passwordResetToken" = '${REDACTED}'::text AND "name" = 'n'`,
    ],
    [
      'a bulk INSERT by position, with quotes inside values',
      `INSERT INTO "users" ("id","email","password","passwordResetToken") VALUES ('1','a@x.io','${HASH}','it''s'),('2','b@x.io','x(,)y',NULL) RETURNING "id";`,
      `INSERT INTO "users" ("id","email","password","passwordResetToken") VALUES ('1','a@x.io','${REDACTED}','${REDACTED}'),('2','b@x.io','${REDACTED}',NULL) RETURNING "id";`,
    ],
    [
      'an UPDATE and unquoted names in raw SQL',
      `UPDATE users SET password = E'esc\\'aped', "name" = 'kept' WHERE id = '9'`,
      `UPDATE users SET password = '${REDACTED}', "name" = 'kept' WHERE id = '9'`,
    ],
    [
      "a function body (findOrCreate's INSERT)",
      `CREATE FUNCTION f() AS $func_1$ BEGIN INSERT INTO "users" ("email","password") VALUES ('a@x.io','p9'); END $func_1$ LANGUAGE plpgsql; SELECT 1`,
      `CREATE FUNCTION f() AS $func_1$ BEGIN INSERT INTO "users" ("email","password") VALUES ('a@x.io','${REDACTED}'); END $func_1$ LANGUAGE plpgsql; SELECT 1`,
    ],
    [
      'a bcrypt hash anywhere, whatever the column',
      `SELECT '${HASH}' AS "note", 'plain' AS "other"`,
      `SELECT '${REDACTED}' AS "note", 'plain' AS "other"`,
    ],
    [
      'comments and a statement cut short',
      `-- "password" = 'not a value'\nSELECT 1 WHERE "passwordResetToken" = 'cut sho`,
      `-- "password" = 'not a value'\nSELECT 1 WHERE "passwordResetToken" = '${REDACTED}'`,
    ],
  ])('%s', (_rule, sql, expected) => {
    expect(redactSql(sql, isSecret).sql).toBe(expected);
  });

  test('bound parameters: by position in an INSERT, by column elsewhere', () => {
    const insert = redactSql('INSERT INTO "users" ("id","password","email") VALUES ($1,$2,$3)', isSecret);
    expect([...insert.secretParameters]).toEqual([1]);
    const update = redactSql(
      'UPDATE "users" SET "passwordResetToken"=$1,"updatedAt"=$2 WHERE ("id" = $3 AND "emailVerificationToken" IN ($4, $5))',
      isSecret,
    );
    expect([...update.secretParameters].sort()).toEqual([0, 3, 4]);
  });

  test('columns whose name says secret are secret even when no model declares them', () => {
    const columns = secretColumns([]);
    expect(['apiSecret', 'refresh_token', 'passwordHash', 'email'].map(columns)).toEqual([true, true, true, false]);
  });
});

describe('redactText', () => {
  test('known secrets in any form, bcrypt hashes and URL passwords', () => {
    const secrets = new Set(["tok'en-1234", 'short']);
    const text = `a tok'en-1234 b tok''en-1234 c "tok'en-1234" ${HASH} postgres://app:pw@host/db short`;
    expect(redactText(text, secrets)).toBe(
      `a ${REDACTED} b ${REDACTED} c "${REDACTED}" ${REDACTED} postgres://app:***@host/db ${REDACTED}`,
    );
    // Below four characters a secret is replaced only where it is the whole value.
    expect(redactText('abc abc', new Set(['abc']))).toBe('abc abc');
    expect(redactText('abc', new Set(['abc']))).toBe(REDACTED);
  });
});

describe('redactError', () => {
  test('walks parent, original, errors[], fields, values and nested details', () => {
    const parent = Object.assign(new Error(`failed: INSERT ... 'tok-secret-1'`), {
      sql: 'INSERT INTO "users" ("email","passwordResetToken") VALUES ($1,$2)',
      parameters: ['a@x.io', 'tok-secret-1'],
      detail: 'Key ("passwordResetToken")=(tok-secret-1) already exists.',
      data: { details: ['tok-secret-1'] },
    });
    const item = { path: 'passwordResetToken', value: 'tok-secret-1', instance: { secret: 'tok-secret-1' } };
    const error = Object.assign(new Error('Validation error'), {
      parent,
      original: parent,
      sql: parent.sql,
      errors: [item],
      fields: { passwordResetToken: 'tok-secret-1', email: 'a@x.io' },
    });
    redactError(error, { isSecretColumn: isSecret, secrets: new Set() });
    expect(JSON.stringify(error)).not.toContain('tok-secret-1');
    expect(String(parent.stack)).not.toContain('tok-secret-1');
    expect(parent.parameters).toEqual(['a@x.io', REDACTED]);
    expect(error.fields).toEqual({ passwordResetToken: REDACTED, email: 'a@x.io' });
    expect(item.value).toBe(REDACTED);
    expect(Object.keys(item)).not.toContain('instance');
    expect(item.instance).toEqual({ secret: 'tok-secret-1' });
  });
});

describe('redactUrl', () => {
  test.each([
    ['postgres://app:S3cret@127.0.0.1:notaport/db', 'postgres://app:***@127.0.0.1:notaport/db'],
    ['postgres://app:S3cret@127.0.0.1:70000/db', 'postgres://app:***@127.0.0.1:70000/db'],
    ['postgresql://app:p%40ss@db:5432/x?sslmode=require', 'postgresql://app:***@db:5432/x?sslmode=require'],
    ['postgres://app:p@ss/w@rd@db/x', 'postgres://app:***@db/x'],
    ['postgres://app@db/x?password=S3cret&sslmode=require', 'postgres://app@db/x?password=***&sslmode=require'],
    ['postgres://app@db/x', 'postgres://app@db/x'],
    ['not a url', 'not a url'],
  ])('%s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});
