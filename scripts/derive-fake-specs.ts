/**
 * Re-derives the DolphinScheduler endpoint tables in test/fakes/specs/dolphinscheduler/ from the published
 * endpoint lists kept in the `shared` folder beside the repository (`../shared/reference/specs/`), which a clone
 * of the repository alone does not have. The tests never run this: they read the committed tables, so the
 * repository tests itself. Run it by hand when the published lists change:
 *
 *   npx tsx scripts/derive-fake-specs.ts                  writes the tables
 *   npx tsx scripts/derive-fake-specs.ts --check          only reports whether the committed tables are up to date
 *   npx tsx scripts/derive-fake-specs.ts --shared <dir>   reads the `shared` folder from another place
 *
 * Exit codes: 0 done (or up to date), 1 the committed tables differ (--check), 2 no `shared` folder beside
 * the repository.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** The release line the fake serves, and the published list it is derived from. */
const SOURCES: ReadonlyArray<{ readonly version: string; readonly file: string }> = [
  { version: '3.1', file: 'ds-3.1.9-endpoints.derived.json' },
  { version: '3.2', file: 'ds-3.2.2-endpoints.derived.json' },
  { version: '3.3', file: 'ds-dev-20241018-endpoints.derived.json' },
];

/** The fields the fake and the conformance test read; `consumes` and `jsonBody` are left out. */
const ENDPOINT_FIELDS = ['controller', 'javaMethod', 'httpMethod', 'path', 'successHttpStatus'] as const;
const PARAM_FIELDS = ['name', 'in', 'required', 'default', 'javaType'] as const;

type Json = Record<string, unknown>;

function repositoryRoot(from: string): string {
  let dir = from;
  while (!(existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'src')))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

function pick(object: Json, fields: readonly string[]): Json {
  const picked: Json = {};
  for (const field of fields) if (field in object) picked[field] = object[field];
  return picked;
}

/** One endpoint a line, so that a change to the published list shows as a readable diff. */
function render(derivedFrom: Json, endpoints: readonly Json[]): string {
  const lines = endpoints.map((endpoint) => `    ${JSON.stringify(endpoint)}`);
  return `{\n  "derivedFrom": ${JSON.stringify(derivedFrom)},\n  "endpoints": [\n${lines.join(',\n')}\n  ]\n}\n`;
}

function derive(sourceDir: string, file: string): string {
  const published = JSON.parse(readFileSync(path.join(sourceDir, file), 'utf8')) as { source: Json; endpoints: Json[] };
  const endpoints = published.endpoints.map((endpoint) => ({
    ...pick(endpoint, ENDPOINT_FIELDS),
    params: (endpoint.params as Json[]).map((param) => pick(param, PARAM_FIELDS)),
  }));
  return render({ file, ...published.source }, endpoints);
}

function main(argv: readonly string[]): number {
  const check = argv.includes('--check');
  const root = repositoryRoot(__dirname);
  const sharedAt = argv.indexOf('--shared');
  const given = sharedAt >= 0 ? argv[sharedAt + 1] : undefined;
  const shared = given !== undefined ? path.resolve(given) : path.resolve(root, '..', 'shared');
  const sourceDir = path.join(shared, 'reference', 'specs', 'dolphinscheduler');
  if (!existsSync(sourceDir)) {
    process.stderr.write(
      `No published DolphinScheduler endpoint lists at ${sourceDir}: the folder \`shared\` is not there (by ` +
        'default it is looked for beside the repository; --shared <dir> names another place). Nothing was derived; ' +
        'the committed tables in test/fakes/specs/dolphinscheduler/ are unchanged.\n',
    );
    return 2;
  }
  let stale = 0;
  for (const { version, file } of SOURCES) {
    const target = path.join(root, 'test', 'fakes', 'specs', 'dolphinscheduler', `${version}.json`);
    const text = derive(sourceDir, file);
    const current = existsSync(target) ? readFileSync(target, 'utf8') : null;
    const relative = path.relative(root, target);
    if (current === text) {
      process.stdout.write(`${relative}: up to date with ${file}\n`);
    } else if (check) {
      stale += 1;
      process.stdout.write(`${relative}: differs from what ${file} gives\n`);
    } else {
      writeFileSync(target, text);
      process.stdout.write(`${relative}: written from ${file}\n`);
    }
  }
  return stale > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
