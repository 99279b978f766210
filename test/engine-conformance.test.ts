/**
 * The engine conformance suite (src/engine/conformance.ts) for every engine, each on a throwaway database (a
 * temporary SQLite file, a new PostgreSQL or MariaDB database, a fake Flink SQL Gateway). PostgreSQL and MariaDB
 * must be running: CI starts them, and a test run without them fails instead of skipping.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from '../src/engine/registry';
import { FlinkEngine } from '../src/engine/flink/flink-engine';
import { FreshetError } from '../src/errors';
import { type EngineConformanceHarness, type EngineUnderTest, runEngineConformance } from '../src/index';
import { FlinkGatewayFake } from './fakes/flink-gateway-fake';
import { createDatabase } from './helpers/databases';

function temporaryFolder(): { dir: string; remove: () => Promise<void> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'freshet-conformance-'));
  return { dir, remove: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** An engine on a new database of a running server, created through the registry like the gateway does. */
function onServer(
  kind: 'postgres' | 'mysql',
  defaultDatabase: (url: string) => string,
): () => Promise<EngineUnderTest> {
  return async () => {
    const database = await createDatabase(kind);
    const folder = temporaryFolder();
    return {
      engine: createEngine(database.url, { baseDir: folder.dir }),
      defaultDatabase: defaultDatabase(database.url),
      tearDown: async () => {
        await database.drop();
        await folder.remove();
      },
    };
  };
}

/** SQLite and PostgreSQL capture changes; MySQL does not. */
const SQL_ENGINE = {
  partitionedRefresh: true,
  streaming: true,
  continuousJobs: false,
  incremental: true,
  ledger: true,
  staging: true,
} as const;

runEngineConformance('sqlite', {
  setUp: async () => {
    const folder = temporaryFolder();
    const engine = createEngine('sqlite:data/engine.sqlite', { baseDir: folder.dir });
    return { engine, defaultDatabase: 'main', tearDown: folder.remove };
  },
  expected: {
    ...SQL_ENGINE,
    name: 'sqlite',
    dialect: 'sqlite',
    transactionalDdl: true,
    otherDatabases: false,
    staging: true,
  },
  ddl: { integer: 'INTEGER', key: 'TEXT', text: 'TEXT', castInteger: 'INTEGER' },
  types: { integer: /^INTEGER$/, text: /^(TEXT|VARCHAR\(40\))$/, numeric: /^(NUMERIC|REAL|DECIMAL)/ },
  messagePrefix: /^SQLite: /,
  badTypeMessage: /not a SQLite type name/,
});

runEngineConformance('postgres', {
  setUp: onServer('postgres', () => 'public'),
  expected: { ...SQL_ENGINE, name: 'postgres', dialect: 'postgresql', transactionalDdl: true, otherDatabases: true },
  ddl: { integer: 'integer', key: 'text', text: 'text', castInteger: 'INTEGER' },
  types: { integer: /^(smallint|integer|bigint)$/, text: /^(text|character varying(\(\d+\))?)$/, numeric: /^numeric/ },
  messagePrefix: /^PostgreSQL: /,
  badTypeMessage: /not a PostgreSQL type name/,
});

runEngineConformance('mysql', {
  setUp: onServer('mysql', (url) => new URL(url).pathname.slice(1)),
  expected: {
    ...SQL_ENGINE,
    name: 'mysql',
    dialect: 'mysql',
    transactionalDdl: false,
    otherDatabases: true,
    incremental: false,
  },
  ddl: { integer: 'int', key: 'varchar(20)', text: 'text', castInteger: 'SIGNED' },
  types: {
    integer: /^(tinyint|smallint|mediumint|int|bigint)\b/,
    text: /^(varchar\(\d+\)|char\(\d+\)|text)$/,
    numeric: /^decimal\(\d+,\d+\)$/,
  },
  messagePrefix: /^MySQL: /,
  badTypeMessage: /not a MySQL type name/,
});

/** Runs refreshes as batch jobs it cannot count rows of, enforces no primary key, and has no UPDATE or BEGIN. */
const FLINK: EngineConformanceHarness = {
  setUp: async () => {
    const fake = await FlinkGatewayFake.start({ jobDurationMs: 10 });
    const engine = new FlinkEngine({ url: fake.url, pollIntervalMs: 20, heartbeatIntervalMs: 40 });
    return { engine, defaultDatabase: 'default_database', tearDown: () => fake.close() };
  },
  expected: {
    name: 'flink',
    dialect: 'mysql',
    transactionalDdl: false,
    partitionedRefresh: true,
    otherDatabases: true,
    incremental: false,
    streaming: false,
    continuousJobs: true,
  },
  ddl: { integer: 'INT', key: 'STRING', text: 'STRING', castInteger: 'INT' },
  types: { integer: /^(TINYINT|SMALLINT|INT|BIGINT)\b/, text: /^(STRING|VARCHAR\(\d+\))/, numeric: /^DECIMAL/ },
  messagePrefix: /^Flink: /,
  badTypeMessage: /not a Flink SQL type/,
  cannot: {
    'describe-query-types': 'the fake gateway evaluates no GROUP BY or aggregate functions',
    'full-refresh': 'a refresh is a batch job, whose written and deleted rows Flink does not report',
    'partition-refresh': 'a partition refresh needs a table PARTITIONED BY the column, and Flink reports no row counts',
    'failed-refresh': 'Flink does not enforce primary keys (NOT ENFORCED), so duplicates do not fail a refresh',
    rebuild: 'a rebuild is a batch job, whose written and deleted rows Flink does not report',
    'pass-through': 'Flink has no UPDATE on these tables and reports no change counts',
    'multiple-statements': 'the gateway takes one statement per request; the fake does not model a script',
    transactions: 'Flink SQL has no transactions',
    'publish-guards': 'a refresh is a batch job whose result Flink does not count, so no guard can judge it',
  },
};
runEngineConformance('flink (fake SQL Gateway)', FLINK);

describe('createEngine', function () {
  it('refuses a URL whose scheme names no engine', function () {
    assert.throws(
      () => createEngine('oracle://scott:tiger@db/orcl', { baseDir: os.tmpdir() }),
      (error: unknown) =>
        error instanceof FreshetError &&
        error.code === 'VALIDATION_ERROR' &&
        /sqlite:<path>/.test(error.message) &&
        !error.message.includes('tiger'),
    );
  });

  it('opens a relative sqlite: path under the base folder', async function () {
    const folder = temporaryFolder();
    const engine = createEngine('sqlite:nested/warehouse.db', { baseDir: folder.dir });
    try {
      await engine.open();
      assert.ok(fs.existsSync(path.join(folder.dir, 'nested', 'warehouse.db')));
    } finally {
      await engine.close();
      await folder.remove();
    }
  });

  it('refuses a MySQL URL that names no database', function () {
    assert.throws(
      () => createEngine('mariadb://root@127.0.0.1:3306/', { baseDir: os.tmpdir() }),
      (error: unknown) =>
        error instanceof FreshetError &&
        error.code === 'VALIDATION_ERROR' &&
        /must name one database/.test(error.message),
    );
  });
});
