/**
 * The gateway fuzzes itself: a few thousand generated bad requests, across every route, against a real gateway
 * process. For every request: no 5xx, every 4xx in the documented error shape with a known code, an answer within
 * 2 s, `/health` answering within 1 s while the request is in flight, no absolute path of the gateway's in the
 * answer. After every statement and refresh request the dynamic table that existed before is unchanged and no file
 * appeared; statements that reach outside the engine are refused with 403, writes to the dynamic table with a 4xx.
 *
 * Runs are seeded and bounded: a failure prints its seed and shrunk counterexample; FRESHET_FUZZ_SEED replays
 * another seed, FRESHET_FUZZ_ALL=1 lists every failing request instead of stopping at the first.
 */
import fc from 'fast-check';
import type { RawRequest, RawResponse } from './helpers/fuzz-gateway';
import { FuzzHarness } from './helpers/fuzz-harness';
import {
  type AuthCase,
  authCase,
  authHeader,
  pathCase,
  readableAsSent,
  refreshCase,
  renderPath,
  renderRefresh,
  renderStatement,
  type StatementCase,
  statementCase,
} from './helpers/fuzz-http';
import { owedAnswer, type SqlKind, sqlCase } from './helpers/fuzz-sql';

const SEED = Number(process.env.FRESHET_FUZZ_SEED ?? 20_261_207);

/** Statements are judged by what they are owed (see `owedAnswer`) when an admin sends them. */
function statementOwed(c: StatementCase, response: RawResponse): string | undefined {
  if (c.body.t !== 'sql' || c.auth.t !== 'admin') return undefined;
  const sent = owedAnswer(c.body.sql);
  // A body the gateway cannot read as labelled is refused for that first; it is owed a refusal all the same.
  const owed = sent === 'forbidden' && !readableAsSent(c.content) ? 'refused' : sent;
  if (owed === 'forbidden' && response.status !== 403) return `answered ${response.status}, not 403 FORBIDDEN`;
  if (owed === 'refused' && (response.status < 400 || response.status >= 500)) {
    return `a write to the dynamic table answered ${response.status}, not a refusal`;
  }
  return undefined;
}

describe('fuzz: generated bad requests never break the gateway', function () {
  this.timeout(300_000);
  let h: FuzzHarness;

  before(async () => {
    h = await FuzzHarness.start();
    await h.createFixture();
  });

  after(async () => {
    await h?.close();
  });

  const statementFamilies: ReadonlyArray<readonly [string, readonly SqlKind[] | undefined, number]> = [
    ['mutations of valid statements (inserted, deleted, duplicated tokens, stray parentheses)', ['mutated'], 700],
    ['deep nesting, balanced or not, long operator chains, many joins', ['nest', 'chain', 'joins'], 150],
    ['SHOW … LIKE with odd and huge patterns', ['like'], 100],
    ['writes to the dynamic table in every spelling (quoting, CTEs, triggers, ALTER, DROP)', ['dt-write'], 250],
    ['ATTACH, DETACH, VACUUM INTO and PRAGMAs (files inside the test folder only)', ['outside'], 120],
    ['huge statements and random text', ['huge', 'text'], 80],
    ['odd JSON types, malformed JSON, content types, oversized bodies', undefined, 200],
  ];
  statementFamilies.forEach(([what, kinds, numRuns], i) => {
    it(`POST /v3/statements: ${what}`, async () => {
      const arbitrary = statementCase(h.tokens.read !== undefined, kinds && sqlCase(kinds));
      await h.fuzz(`statements/${kinds?.join('+') ?? 'bodies'}`, arbitrary, (c) => renderStatement(c, h.tokens), {
        numRuns,
        seed: SEED + 10 + i,
        budgetMs: 15_000,
        checkState: true,
        expect: statementOwed,
      });
    });
  });

  it('POST /v3/dynamic-tables/refresh: wrong types, bad schedule times and zones, unknown tables', async () => {
    await h.fuzz('refresh', refreshCase(), (c) => renderRefresh(c, h.tokens), {
      numRuns: 600,
      seed: SEED + 2,
      budgetMs: 15_000,
      checkState: true,
    });
  });

  it('GET routes and others: odd ids, percent-encodings, paths, methods', async () => {
    await h.fuzz('paths', pathCase(), (c) => renderPath(c, h.tokens), {
      numRuns: 700,
      seed: SEED + 3,
      budgetMs: 10_000,
      checkState: false,
    });
  });

  it('every route with bad, missing and wrong-scope Authorization headers', async () => {
    const routes: ReadonlyArray<readonly [string, string, string | undefined]> = [
      ['POST', '/v3/statements', '{"statement": "SELECT * FROM dt"}'],
      ['POST', '/v3/statements', '{"statement": "DELETE FROM dt"}'],
      ['POST', '/v3/statements', '{"statement": "DROP DYNAMIC TABLE dt"}'],
      ['POST', '/v3/dynamic-tables/refresh', '{"tables": ["dt"]}'],
      ['GET', '/v3/jobs/00000000-0000-0000-0000-000000000000', undefined],
      ['GET', '/v3/dynamic-tables', undefined],
      ['GET', '/v3/dynamic-tables/dt', undefined],
      ['GET', '/v3/dynamic-tables/dt/refreshes', undefined],
      ['GET', '/v3/scheduler/drift', undefined],
      ['POST', '/v3/scheduler/drift/repair', ''],
      ['GET', '/v3/nope', undefined],
    ];
    // DROP DYNAMIC TABLE dt is legitimate for an admin: only tokens that may not drop it send that one.
    const arbitrary = fc
      .record({ route: fc.nat({ max: routes.length - 1 }), auth: authCase() })
      .filter((c) => !(routes[c.route]![2]?.includes('DROP') && (c.auth.t === 'admin' || c.auth.t === 'mangled')));
    const render = (c: { route: number; auth: AuthCase }): RawRequest => {
      const [method, route, body] = routes[c.route]!;
      return {
        method,
        path: route,
        headers: { 'content-type': 'application/json', ...authHeader(c.auth, h.tokens) },
        ...(body === undefined ? {} : { body }),
      };
    };
    await h.fuzz('auth', arbitrary, render, { numRuns: 300, seed: SEED + 4, budgetMs: 10_000, checkState: true });
  });

  it('leaves the dynamic table that existed before with the same rows and definition', async () => {
    await h.assertUnchanged();
  });
});
