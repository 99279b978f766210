/**
 * The discoverer conformance suite: the behaviour Freshet relies on from every {@link Discoverer}. Built-in
 * discoverers and third-party ones run the same suite from a mocha test file:
 *
 * ```ts
 * runDiscovererConformance('my-discoverer', myFactory, { makeContext: () => …, options: () => ({ … }) });
 * ```
 *
 * It registers mocha tests, so it must be called where mocha's `describe` and `it` are defined.
 */
import assert from 'node:assert/strict';
import type {
  DatasetMetadata,
  Discoverer,
  DiscovererContext,
  DiscovererFactory,
  DiscoveryQuery,
  Materialize,
  Publish,
} from './discoverer';
import { defaultLocalId, publishProblems } from './published-dataset';

export interface DiscovererConformanceHarness {
  /** Builds the context the discoverer under test gets. */
  makeContext(): DiscovererContext;
  /** Options for the factory (validated through factory.optionsSchema); the source must hold one dataset or more. */
  options(): unknown;
  /** Optional: changes one dataset's rows at the source; resolves to the id it is published under. */
  change?(): Promise<string>;
  /** Optional: removes one dataset at the source; resolves to the id it was published under. */
  remove?(): Promise<string>;
  /** Optional, for a discoverer with `handleQuery`: a search it answers with one dataset or more. */
  query?(): DiscoveryQuery;
  /** Optional clean-up between tests. */
  reset?(): Promise<void>;
}

/** One dataset as a run published it. */
export interface PublishedForTest {
  readonly id: string;
  readonly materialize: Materialize;
  readonly metadata: DatasetMetadata;
}

/** A publish that records what it is given, checks it as the gateway would, and rejects once `signal` aborts. */
export function recordingPublish(signal?: AbortSignal): { publish: Publish; published: PublishedForTest[] } {
  const published: PublishedForTest[] = [];
  const publish: Publish = async (materialize, metadata, id) => {
    signal?.throwIfAborted();
    const problems = publishProblems(materialize, metadata, id);
    assert.deepEqual(problems, [], `published an invalid dataset: ${JSON.stringify({ materialize, metadata, id })}`);
    const localId = id ?? defaultLocalId(materialize);
    published.push({ id: localId, materialize, metadata });
    return localId;
  };
  return { publish, published };
}

const byId = (published: readonly PublishedForTest[]) => new Map(published.map((p) => [p.id, p]));

/** Registers `discoverer conformance: <name>` with one mocha test per promise Freshet relies on. */
export function runDiscovererConformance(
  name: string,
  // biome-ignore lint/suspicious/noExplicitAny: a discoverer's factory has options of its own type; the suite only passes them
  factory: DiscovererFactory<any>,
  harness: DiscovererConformanceHarness,
): void {
  describe(`discoverer conformance: ${name}`, () => {
    let opened: Discoverer[] = [];

    function create(): Discoverer {
      const discoverer = factory.create(factory.optionsSchema.parse(harness.options()), harness.makeContext());
      opened.push(discoverer);
      return discoverer;
    }

    async function run(discoverer: Discoverer): Promise<PublishedForTest[]> {
      const { publish, published } = recordingPublish();
      await discoverer.discover(publish, new AbortController().signal);
      return published;
    }

    beforeEach(() => {
      opened = [];
    });

    afterEach(async () => {
      for (const discoverer of opened) await discoverer.close?.().catch(() => undefined);
      await harness.reset?.();
    });

    it('accepts the harness options and rejects unknown or invalid ones', () => {
      assert.match(factory.identifier, /^[A-Za-z0-9_-]{1,64}$/, 'an identifier is 1 to 64 letters, digits, _ or -');
      const options = harness.options();
      assert.equal(factory.optionsSchema.safeParse(options).success, true, 'harness options rejected');
      const withUnknown = { ...(options as object), freshetConformanceUnknownOption: true };
      assert.equal(factory.optionsSchema.safeParse(withUnknown).success, false, 'an unknown option was accepted');
      assert.equal(factory.optionsSchema.safeParse(42).success, false, 'a number was accepted as options');
    });

    it('publishes valid datasets, each id once', async () => {
      const published = await run(create());
      assert.ok(published.length > 0, 'the harness source holds datasets, but none was published');
      const ids = published.map((p) => p.id);
      assert.deepEqual(
        ids.filter((id, i) => ids.indexOf(id) !== i),
        [],
        'an id was published twice in one run',
      );
    });

    it('publishes the same ids and updatedAt again when nothing changed, also from a new instance', async () => {
      const first = await run(create());
      const second = await run(create());
      const again = await run(opened[0] as Discoverer);
      for (const later of [second, again]) {
        assert.deepEqual(
          later.map((p) => [p.id, p.metadata.updatedAt ?? null, p.materialize]),
          first.map((p) => [p.id, p.metadata.updatedAt ?? null, p.materialize]),
        );
      }
    });

    it('publishes a new updatedAt for a dataset whose rows changed, and no other', async function () {
      if (harness.change === undefined) this.skip(); // the harness cannot change its source
      const discoverer = create();
      const before = byId(await run(discoverer));
      const changed = await harness.change();
      const after = byId(await run(discoverer));
      assert.ok(before.has(changed) && after.has(changed), `the changed dataset ${changed} was not published`);
      assert.notEqual(after.get(changed)?.metadata.updatedAt ?? null, before.get(changed)?.metadata.updatedAt ?? null);
      for (const [id, entry] of before) {
        if (id !== changed) assert.equal(after.get(id)?.metadata.updatedAt, entry.metadata.updatedAt, id);
      }
    });

    it('no longer publishes a dataset removed at the source', async function () {
      if (harness.remove === undefined) this.skip(); // the harness cannot remove from its source
      const discoverer = create();
      assert.ok(byId(await run(discoverer)).size > 0);
      const removed = await harness.remove();
      assert.equal(byId(await run(discoverer)).has(removed), false, `${removed} is still published`);
    });

    it('fails the run when publishing fails', async () => {
      const failure = new Error('the catalog is unavailable');
      const failing: Publish = async () => {
        throw failure;
      };
      await assert.rejects(create().discover(failing, new AbortController().signal));
    });

    it('stops when its signal aborts', async () => {
      const stop = new AbortController();
      stop.abort(new Error('the gateway is stopping'));
      const { publish, published } = recordingPublish(stop.signal);
      await create()
        .discover(publish, stop.signal)
        .then(
          () => assert.equal(published.length, 0, 'published after the run was aborted'),
          () => undefined,
        );
    });

    it('answers a query on demand with valid datasets, within its deadline', async function () {
      const discoverer = create();
      if (discoverer.handleQuery === undefined || harness.query === undefined) this.skip(); // answers no queries
      const deadline = AbortSignal.timeout(5000);
      const { publish, published } = recordingPublish(deadline);
      await discoverer.handleQuery?.(harness.query(), publish, deadline).catch((error: unknown) => {
        if (!deadline.aborted) throw error;
      });
      assert.equal(deadline.aborted, false, 'handleQuery ran past its deadline');
      assert.ok(published.length > 0, 'the harness query matches datasets, but none was published');
    });

    it('closes more than once without failing', async () => {
      const discoverer = create();
      await run(discoverer);
      await discoverer.close?.();
      await discoverer.close?.();
    });
  });
}
