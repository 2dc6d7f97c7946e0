import pg from 'pg';
import { createDb } from '../../src';
import * as decorators from '../../src/models/base/decorators';
import { builtInValidators } from '../../src/models/base/fast-validate';

/**
 * The package leans on a few things its dependencies export without promising their shape in the
 * typings. These fail loudly, naming the thing, when an upgrade changes it.
 */
describe("the dependencies' shapes the package relies on", () => {
  const usedValidators = new Set<string>();
  const db = createDb({ inMemory: true, logging: false });
  afterAll(() => db.sequelize.close());
  for (const model of Object.values(db.sequelize.models)) {
    for (const attribute of Object.values(model.getAttributes())) {
      for (const [name, rule] of Object.entries(attribute.validate ?? {})) {
        if (typeof rule !== 'function') usedValidators.add(name);
      }
    }
  }

  it.each([...usedValidators].sort())("sequelize's Validator.%s is a function", (name) => {
    expect(typeof builtInValidators[name]).toBe('function');
  });

  it("sequelize's Validator judges as validator.js does", () => {
    expect(builtInValidators.isEmail?.('ann@example.com')).toBe(true);
    expect(builtInValidators.isEmail?.('ann')).toBe(false);
    expect(builtInValidators.isUUID?.('5f0c6c52-0a36-4d2b-9f5a-2b8f8e1c9a10', 4)).toBe(true);
  });

  it("pg's utils.prepareValue turns a Date into PostgreSQL's text", () => {
    const prepared = (pg as unknown as { utils: { prepareValue(value: unknown): unknown } }).utils.prepareValue(
      new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
    );
    expect(typeof prepared).toBe('string');
    expect(new Date(prepared as string).toISOString()).toBe('2026-01-02T03:04:05.000Z');
  });

  // src/models/base/decorators.ts takes each from its own file, to load 56 of sequelize-typescript's 143.
  it.each(Object.keys(decorators).sort())("sequelize-typescript's %s is the one its main module exports", (name) => {
    const main = require('sequelize-typescript') as Record<string, unknown>;
    expect(main[name]).toBeDefined();
    expect((decorators as Record<string, unknown>)[name]).toBe(main[name]);
  });

  // src/db/deferred-refresh.ts defers it while createDb builds the models.
  it("sequelize's Model.refreshAttributes is a static method of Model itself", () => {
    const { Model } = require('sequelize') as typeof import('sequelize');
    expect(typeof Object.getOwnPropertyDescriptor(Model, 'refreshAttributes')?.value).toBe('function');
  });
});
