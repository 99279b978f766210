/**
 * Readiness against a brute-force model on a minute grid: the pure functions, and the whole path through the
 * catalog (SQLite and PostgreSQL) and the SourceRegistry service, on random partitions, events and intervals.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { Catalog } from '../src/catalog/catalog';
import { readinessOf, readyThroughOf } from '../src/manager/registry/readiness';
import { SourceRegistry } from '../src/manager/registry/source-registry';
import type { PartitionRecord, PartitionState } from '../src/model';
import { createDatabase } from './helpers/databases';

const BASE = Date.parse('2026-01-01T00:00:00.000Z');
const at = (minute: number) => new Date(BASE + minute * 60_000).toISOString();
const GRID = 120;

interface ModelPartition {
  readonly provider: string;
  readonly start: number;
  readonly end: number;
  readonly state: PartitionState;
}

function record(p: ModelPartition, id: number): PartitionRecord {
  const stamp = at(0);
  return {
    id,
    source: 's',
    provider: p.provider,
    start: at(p.start),
    end: at(p.end),
    state: p.state,
    stateSince: stamp,
    createdAt: stamp,
  };
}

const covers = (p: ModelPartition, m: number) => p.start <= m && m < p.end;

/** Runs of minutes in [a, b) for which `test` holds, as [start, end) pairs of instants. */
function runs(a: number, b: number, test: (m: number) => boolean): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let m = a; m < b; m++) {
    if (!test(m)) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === at(m)) last[1] = at(m + 1);
    else out.push([at(m), at(m + 1)]);
  }
  return out;
}

function modelReadiness(partitions: readonly ModelPartition[], a: number, b: number) {
  const ready = (m: number) => partitions.some((p) => p.state === 'READY' && covers(p, m));
  const locked = partitions
    .filter((p) => p.state === 'LOCKED' && p.start < p.end && p.start < b && p.end > a)
    .map((p) => `${p.provider} ${at(p.start)} ${at(p.end)}`)
    .sort();
  const covered = runs(a, b, ready);
  const gaps = runs(a, b, (m) => !ready(m));
  return { ready: a < b && gaps.length === 0 && locked.length === 0, covered, gaps, locked };
}

function modelReadyThrough(partitions: readonly ModelPartition[]): string | null {
  const ready = partitions.filter((p) => p.state === 'READY' && p.start < p.end);
  if (ready.length === 0) return null;
  const first = Math.min(...ready.map((p) => p.start));
  let m = first;
  const good = (minute: number) =>
    ready.some((p) => covers(p, minute)) && !partitions.some((p) => p.state === 'LOCKED' && covers(p, minute));
  while (good(m)) m++;
  return m > first ? at(m) : null;
}

function actualShape(answer: ReturnType<typeof readinessOf>) {
  return {
    ready: answer.ready,
    covered: answer.covered.map(([s, e]) => [s, e]),
    gaps: answer.gaps.map(([s, e]) => [s, e]),
    locked: answer.locked.map((l) => `${l.provider} ${l.start} ${l.end}`).sort(),
  };
}

const minute = fc.integer({ min: 0, max: GRID });
const stateArb = fc.constantFrom<PartitionState>('REGISTERED', 'LOCKED', 'READY');
const partitionArb = (allowEmpty: boolean) =>
  fc
    .record({ provider: fc.constantFrom('p1', 'p2'), a: minute, b: minute, state: stateArb })
    .filter(({ a, b }) => (allowEmpty ? true : a !== b))
    .map(({ provider, a, b, state }) => ({ provider, start: Math.min(a, b), end: Math.max(a, b), state }));
const intervalArb = fc
  .tuple(minute, minute)
  .filter(([a, b]) => a !== b)
  .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);

describe('readiness against a brute-force model', () => {
  it('readinessOf and readyThroughOf agree with the minute grid on random partitions', () => {
    fc.assert(
      fc.property(fc.array(partitionArb(true), { maxLength: 12 }), intervalArb, (partitions, [a, b]) => {
        const records = partitions.map(record);
        assert.deepEqual(actualShape(readinessOf(records, at(a), at(b))), modelReadiness(partitions, a, b));
        assert.equal(readyThroughOf(records), modelReadyThrough(partitions));
      }),
      { numRuns: 2000 },
    );
  });

  const p = (start: number, end: number, state: PartitionState = 'READY', provider = 'p1'): ModelPartition => ({
    provider,
    start,
    end,
    state,
  });
  const check = (partitions: ModelPartition[], a: number, b: number) =>
    readinessOf(partitions.map(record), at(a), at(b));

  it('treats intervals as half-open', () => {
    assert.equal(check([p(0, 10)], 0, 10).ready, true);
    assert.equal(check([p(0, 10)], 0, 11).ready, false);
    assert.deepEqual(check([p(0, 10)], 0, 11).gaps, [[at(10), at(11)]]);
    // A partition ending where the interval starts, or starting where it ends, does not overlap it.
    assert.equal(check([p(0, 10), p(10, 20, 'LOCKED'), p(-5, 0, 'LOCKED')], 0, 10).ready, true);
    assert.equal(check([p(0, 10), p(10, 20)], 0, 20).ready, true);
  });

  it('counts a partition strictly inside the interval (the first bug of the seed)', () => {
    const answer = check([p(10, 20)], 0, 30);
    assert.deepEqual(answer.covered, [[at(10), at(20)]]);
    assert.deepEqual(answer.gaps, [
      [at(0), at(10)],
      [at(20), at(30)],
    ]);
    assert.equal(check([p(0, 10), p(10, 20), p(20, 30)], 0, 30).ready, true);
    assert.equal(check([p(0, 30), p(10, 20, 'LOCKED')], 0, 30).ready, false);
  });

  it('extends coverage to the largest end seen, so a short partition after a long one leaves no gap (the second bug)', () => {
    assert.equal(check([p(0, 60), p(5, 10), p(50, 55)], 0, 60).ready, true);
    assert.equal(readyThroughOf([p(0, 60), p(5, 10)].map(record)), at(60));
    assert.equal(check([p(0, 60), p(5, 10), p(70, 80)], 0, 80).ready, false);
    assert.deepEqual(check([p(0, 60), p(5, 10), p(70, 80)], 0, 80).gaps, [[at(60), at(70)]]);
  });

  it('ignores zero-length partitions and takes overlapping ones', () => {
    assert.equal(check([p(0, 10), p(5, 5, 'LOCKED')], 0, 10).ready, true);
    assert.equal(check([p(5, 5)], 5, 6).ready, false);
    assert.equal(readyThroughOf([p(0, 10), p(5, 5, 'LOCKED')].map(record)), at(10));
    assert.equal(check([p(0, 7), p(3, 10, 'READY', 'p2')], 0, 10).ready, true);
    assert.equal(check([p(0, 10), p(0, 10, 'LOCKED', 'p2')], 0, 10).ready, false);
    // REGISTERED (no event yet) neither covers nor locks.
    assert.deepEqual(check([p(0, 10, 'REGISTERED')], 0, 10).gaps, [[at(0), at(10)]]);
    assert.equal(check([p(0, 10, 'REGISTERED')], 0, 10).locked.length, 0);
  });

  it('cuts readyThrough at the first locked partition in the run', () => {
    assert.equal(readyThroughOf([p(0, 10), p(10, 20), p(15, 30, 'LOCKED')].map(record)), at(15));
    assert.equal(readyThroughOf([p(0, 10), p(-5, 1, 'LOCKED')].map(record)), null);
    assert.equal(readyThroughOf([p(0, 10, 'LOCKED')].map(record)), null);
  });
});

// ---- the same through the catalog and the service ----

type Event = 'LOCK' | 'UNLOCK';
interface Step {
  readonly provider: string;
  readonly start: number;
  readonly end: number;
  /** Registered with this state, then these events appended. */
  readonly initial: 'locked' | 'ready' | null;
  readonly events: readonly Event[];
}

const stepArb = fc
  .record({
    provider: fc.constantFrom('p1', 'p2'),
    a: minute,
    b: minute,
    initial: fc.constantFrom<'locked' | 'ready' | null>(null, 'locked', 'ready'),
    events: fc.array(fc.constantFrom<Event>('LOCK', 'UNLOCK'), { maxLength: 3 }),
  })
  .filter(({ a, b }) => a !== b)
  .map(({ provider, a, b, initial, events }) => ({
    provider,
    start: Math.min(a, b),
    end: Math.max(a, b),
    initial,
    events,
  }));

/** What the model holds after `steps`: one partition per (provider, start, end), its state its latest event. */
function applySteps(model: Map<string, ModelPartition>, steps: readonly Step[]): void {
  for (const step of steps) {
    const key = `${step.provider} ${step.start} ${step.end}`;
    const existing = model.get(key);
    let state: PartitionState = existing?.state ?? 'REGISTERED';
    if (step.initial !== null) state = step.initial === 'locked' ? 'LOCKED' : 'READY';
    for (const event of step.events) state = event === 'LOCK' ? 'LOCKED' : 'READY';
    model.set(key, { provider: step.provider, start: step.start, end: step.end, state });
  }
}

async function runSteps(registry: SourceRegistry, source: string, steps: readonly Step[]): Promise<void> {
  for (const step of steps) {
    const key = { provider: step.provider, start: at(step.start), end: at(step.end) };
    await registry.registerPartition(source, key, step.initial);
    for (const event of step.events) await registry.mark(source, key, event);
  }
}

const CATALOGS = [
  { name: 'SQLite', runs: 60, url: async () => ({ url: 'sqlite:catalog.db', drop: async () => undefined }) },
  { name: 'PostgreSQL', runs: 15, url: () => createDatabase('postgres') },
];

for (const kind of CATALOGS) {
  describe(`readiness through the registry service on a ${kind.name} catalog`, function () {
    this.timeout(300_000);
    let dir: string;
    let catalog: Catalog;
    let drop: () => Promise<void>;
    let registry: SourceRegistry;

    before(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'freshet-registry-'));
      const made = await kind.url();
      drop = made.drop;
      catalog = new Catalog(made.url, dir);
      await catalog.open();
      registry = new SourceRegistry(catalog.registry, 'UTC');
    });
    after(async () => {
      await catalog.close();
      await drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('agrees with the model on random partitions, events, locks and intervals, before and after more changes', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(stepArb, { maxLength: 8 }),
          fc.array(stepArb, { maxLength: 4 }),
          fc.array(intervalArb, { minLength: 1, maxLength: 4 }),
          async (first, second, intervals) => {
            const source = `src.${run++}`;
            const { accessToken } = await registry.registerSource({ name: source, owner: 'ada' });
            for (const provider of ['p1', 'p2'])
              await registry.registerProvider({ name: provider, source, accessToken });
            const model = new Map<string, ModelPartition>();
            for (const steps of [first, second]) {
              await runSteps(registry, source, steps);
              applySteps(model, steps);
              const partitions = [...model.values()];
              for (const [a, b] of intervals) {
                const answer = await registry.readiness(source, at(a), at(b));
                assert.deepEqual(actualShape(answer), modelReadiness(partitions, a, b));
                assert.equal(answer.readyThrough, modelReadyThrough(partitions));
              }
            }
          },
        ),
        { numRuns: kind.runs },
      );
    });

    it('refuses zero-length and backwards partitions and intervals', async () => {
      const { accessToken } = await registry.registerSource({ name: 'zero', owner: 'ada' });
      await registry.registerProvider({ name: 'p1', source: 'zero', accessToken });
      for (const [start, end] of [
        [at(5), at(5)],
        [at(6), at(5)],
      ] as const) {
        await assert.rejects(registry.registerPartition('zero', { provider: 'p1', start, end }), /end: must be after/);
        await assert.rejects(registry.readiness('zero', start, end), /end: must be after/);
      }
    });
  });
}
