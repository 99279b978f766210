import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Engine } from '../src/engine/engine';
import { createEngine } from '../src/engine/registry';
import type { DatasetProfile } from '../src/discovery/profile-model';
import { profileEngineTable } from '../src/discovery/table-profile';
import { createDatabase, type ThrowawayDatabase } from './helpers/databases';

const CITIES = ['Oslo', 'Lima', 'Pune', 'Kyiv'];

/** 200 rows: ids, four cities, amounts, a flag, hourly times, days, latitudes, and some nulls. */
function rows(): string[] {
  return Array.from({ length: 200 }, (_, i) => {
    const city = i % 17 === 0 ? 'NULL' : `'${CITIES[i % 4]}'`;
    const amount = i % 10 === 0 ? 'NULL' : `${(i * 37) % 101}.25`;
    const hour = String(i % 24).padStart(2, '0');
    const day = String((i % 28) + 1).padStart(2, '0');
    const ts = `'2024-03-${day} ${hour}:00:00'`;
    const lat = String(-45 + (i % 90));
    return `(${i + 1}, ${city}, ${amount}, ${i % 3 === 0 ? 'TRUE' : 'FALSE'}, ${ts}, '2024-0${(i % 9) + 1}-01', ${lat})`;
  });
}

const TYPES = {
  sqlite: 'id INTEGER, city TEXT, amount REAL, flag BOOLEAN, ts TIMESTAMP, day DATE, lat REAL',
  postgres:
    'id INTEGER, city TEXT, amount DOUBLE PRECISION, flag BOOLEAN, ts TIMESTAMP, day DATE, lat DOUBLE PRECISION',
  mysql: 'id INT, city VARCHAR(20), amount DOUBLE, flag BOOLEAN, ts DATETIME, day DATE, lat DOUBLE',
} as const;

type Kind = keyof typeof TYPES;

/** The profile without what legitimately differs between engines: the declared type names. */
function comparable(profile: DatasetProfile): unknown {
  return { ...profile, columns: profile.columns.map(({ declaredType: _d, ...rest }) => rest) };
}

describe('dataset profiles on SQLite, PostgreSQL and MariaDB', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'freshet-profile-'));
  const engines = new Map<Kind, Engine>();
  const databases: ThrowawayDatabase[] = [];
  const profiles = new Map<Kind, DatasetProfile>();

  before(async () => {
    const pg = await createDatabase('postgres');
    const my = await createDatabase('mysql');
    databases.push(pg, my);
    engines.set('sqlite', createEngine(`sqlite:${path.join(dir, 'w.db')}`, { baseDir: dir }));
    engines.set('postgres', createEngine(pg.url, { baseDir: dir }));
    engines.set('mysql', createEngine(my.url, { baseDir: dir }));
    for (const [kind, engine] of engines) {
      await engine.open();
      await engine.execute(`CREATE TABLE readings (${TYPES[kind]})`, { rowLimit: 0 });
      await engine.execute(`INSERT INTO readings VALUES ${rows().join(', ')}`, { rowLimit: 0 });
      const database = engine.defaultDatabase;
      profiles.set(kind, await profileEngineTable(engine, database, 'readings', { sampleRows: 100_000, seed: 1 }));
    }
  });

  after(async () => {
    for (const engine of engines.values()) await engine.close();
    for (const database of databases) await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('profiles every column with its statistics and semantic types', () => {
    const profile = profiles.get('sqlite')!;
    assert.equal(profile.rowCount, 200);
    assert.equal(profile.sampled, false);
    const column = (name: string) => profile.columns.find((c) => c.name === name)!;
    assert.deepEqual(column('id').semanticTypes, ['identifier', 'integer']);
    assert.equal(column('id').min, 1);
    assert.equal(column('id').max, 200);
    assert.equal(column('id').mean, 100.5);
    assert.equal(column('city').semanticType, 'categorical');
    assert.equal(column('city').distinctCount, 4);
    assert.equal(column('city').nullCount, 12);
    assert.deepEqual(column('city').length, { min: 4, max: 4 });
    assert.equal(column('city').topValues?.length, 4);
    assert.equal(column('amount').semanticType, 'float');
    assert.equal(column('amount').nullRatio, 0.1);
    assert.equal(column('amount').histogram?.length, 20);
    assert.equal(
      column('amount').histogram?.reduce((n, b) => n + b.count, 0),
      180,
    );
    assert.deepEqual(column('flag').topValues, [
      { value: 'false', count: 133 },
      { value: 'true', count: 67 },
    ]);
    assert.equal(column('ts').semanticType, 'datetime');
    assert.deepEqual(column('ts').temporalCoverage, {
      column: 'ts',
      start: '2024-03-01T00:00:00.000Z',
      end: '2024-03-28T23:00:00.000Z',
      resolution: 'hour',
    });
    assert.equal(column('day').temporalCoverage?.resolution, 'month');
    assert.deepEqual(column('lat').semanticTypes, ['latitude', 'float']);
  });

  it('agrees on the same data whichever engine holds it', () => {
    const sqlite = comparable(profiles.get('sqlite')!);
    assert.deepEqual(comparable(profiles.get('postgres')!), sqlite);
    assert.deepEqual(comparable(profiles.get('mysql')!), sqlite);
  });

  it('profiles a seeded sample beyond sampleRows, the same sample each time', async () => {
    for (const [kind, engine] of engines) {
      const settings = { sampleRows: 50, seed: 7 };
      const first = await profileEngineTable(engine, engine.defaultDatabase, 'readings', settings);
      const again = await profileEngineTable(engine, engine.defaultDatabase, 'readings', settings);
      assert.equal(first.rowCount, 200, kind);
      assert.equal(first.sampled, true, kind);
      assert.ok(first.profiledRows > 10 && first.profiledRows < 120, `${kind}: ${first.profiledRows} rows sampled`);
      assert.deepEqual(again, first, kind);
    }
  });

  it('profiles one partition of a table', async () => {
    const engine = engines.get('postgres')!;
    const profile = await profileEngineTable(engine, engine.defaultDatabase, 'readings', {
      sampleRows: 1000,
      seed: 1,
      partition: { city: 'Oslo' },
    });
    assert.equal(profile.columns.find((c) => c.name === 'city')?.distinctCount, 1);
    assert.deepEqual(profile.partition, { city: 'Oslo' });
  });
});
