import { strict as assert } from 'node:assert';
import { type CatalogKind, createDatabase } from './helpers/databases';
import { TestGateway } from './helpers/gateway';

/**
 * The gateway refuses, on PostgreSQL and MySQL warehouses, what each engine says a statement would do: writes to a
 * dynamic table whatever their spelling, and statements that reach the server's files.
 */
const CASES: Record<Exclude<CatalogKind, 'sqlite'>, { writes: string[]; outside: string[] }> = {
  postgres: {
    writes: [
      'WITH x AS (SELECT 1) INSERT INTO dt VALUES (9, 9)',
      'WITH gone AS (DELETE FROM dt RETURNING *) SELECT count(*) FROM gone',
      'UPDATE "DT" SET total = 0',
      '/* quiet */ delete from public.dt',
      'TRUNCATE dt',
      'ALTER TABLE dt ADD COLUMN extra INTEGER',
    ],
    outside: ["COPY dt TO '/tmp/freshet-guard-copy.csv'", "SELECT pg_read_file('/etc/hostname')"],
  },
  mysql: {
    writes: [
      'INSERT INTO dt VALUES (9, 9)',
      'REPLACE INTO `dt` VALUES (9, 9)',
      'UPDATE dt JOIN src ON dt.k = src.k SET dt.total = 0',
      'DELETE dt FROM dt JOIN src ON dt.k = src.k',
      '# a comment\nDELETE FROM dt',
      'ALTER TABLE dt ADD COLUMN extra INTEGER',
    ],
    outside: ["SELECT * FROM src INTO OUTFILE '/tmp/freshet-guard-out.csv'", "SELECT LOAD_FILE('/etc/hostname')"],
  },
};

for (const kind of ['postgres', 'mysql'] as const) {
  describe(`pass-through statements on a ${kind} warehouse`, function () {
    this.timeout(60_000);
    let gw: TestGateway;
    let drop: () => Promise<void>;

    before(async () => {
      const db = await createDatabase(kind);
      drop = db.drop;
      gw = await TestGateway.start({ catalogs: { wh: { url: db.url } }, defaultCatalog: 'wh' });
      await gw.sql(`CREATE TABLE src (k INTEGER, v INTEGER); INSERT INTO src VALUES (1, 10), (2, 20);
        CREATE DYNAMIC TABLE dt FRESHNESS = INTERVAL '1' HOUR AS SELECT k, SUM(v) AS total FROM src GROUP BY k`);
    });
    after(async () => {
      await gw?.close();
      await drop?.();
    });

    const rowsOfDt = () => gw.rows('SELECT k, total FROM dt ORDER BY k');

    it('refuses every spelling of a write to a dynamic table, naming it, and keeps its rows', async () => {
      const before = await rowsOfDt();
      for (const statement of CASES[kind].writes) {
        const { status, error } = await gw.sqlError(statement);
        assert.equal(status, 400, `${statement}: ${JSON.stringify(error)}`);
        assert.equal(error.code, 'VALIDATION_ERROR', statement);
        assert.match(error.message, /is a dynamic table; Freshet maintains its rows and schema/, statement);
      }
      assert.deepEqual(await rowsOfDt(), before);
    });

    it("refuses statements that reach the server's files with 403", async () => {
      for (const statement of CASES[kind].outside) {
        const { status, error } = await gw.sqlError(statement);
        assert.equal(status, 403, `${statement}: ${JSON.stringify(error)}`);
        assert.equal(error.code, 'FORBIDDEN', statement);
        assert.match(error.message, /is not allowed: it reaches outside the engine's data/, statement);
      }
    });

    it('still writes plain tables and reads dynamic ones', async () => {
      await gw.sql('INSERT INTO src VALUES (3, 30)');
      assert.deepEqual(await gw.rows('SELECT count(*) AS n FROM src'), [[3]]);
      assert.equal((await rowsOfDt()).length, 2);
    });
  });
}
