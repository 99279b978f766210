import { Registry } from 'prom-client';
import { strict as assert } from 'node:assert';
import { ERROR_STATUS } from '../src/errors';
import type { Logger } from '../src/logger';
import { createRestApp, type RestDependencies } from '../src/rest/app';
import { errorCodesOf, openApiDocument, openApiPath, ROUTE_SPECS } from '../src/rest/openapi';

/** Every route the app registers, as `METHOD /openapi/{path}`, the docs page's own files left out. */
function expressRoutes(): string[] {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;
  // Only registration is looked at: nothing is called on the services.
  const deps = {
    manager: { registry: {}, metrics: { registry: new Registry() } },
    statements: {},
    schedulerType: 'embedded',
    bodyLimitBytes: 1024,
    maxWaitSeconds: 1,
    tokens: [],
    isCallbackToken: async () => false,
    logger: quiet,
  } as unknown as RestDependencies;
  const app = createRestApp(deps) as unknown as {
    router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> };
  };
  const routes: string[] = [];
  for (const layer of app.router.stack) {
    if (!layer.route || layer.route.path.startsWith('/docs')) continue;
    for (const method of Object.keys(layer.route.methods)) {
      routes.push(`${method.toUpperCase()} ${openApiPath(layer.route.path)}`);
    }
  }
  return routes.sort();
}

type Json = Record<string, unknown>;

function operations(doc: Json): Array<{ route: string; op: Json }> {
  const found: Array<{ route: string; op: Json }> = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const [method, op] of Object.entries(item))
      found.push({ route: `${method.toUpperCase()} ${path}`, op: op as Json });
  }
  return found;
}

/** Every `$ref` anywhere in `value`. */
function refsIn(value: unknown, into: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refsIn(item, into);
  else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') into.push(inner);
      else refsIn(inner, into);
    }
  }
  return into;
}

function resolve(doc: Json, ref: string): unknown {
  assert.ok(ref.startsWith('#/'), `${ref} points outside the document`);
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((at, part) => (at as Json | undefined)?.[part], doc);
}

/** `value` with every `$ref` replaced by what it points at (the document's schemas have no cycles). */
function inlined(doc: Json, value: unknown, depth = 0): unknown {
  assert.ok(depth < 20, 'references nest too deep (a cycle?)');
  if (Array.isArray(value)) return value.map((item) => inlined(doc, item, depth));
  if (value === null || typeof value !== 'object') return value;
  const ref = (value as Json).$ref;
  if (typeof ref === 'string') return inlined(doc, resolve(doc, ref), depth + 1);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inlined(doc, v, depth)]));
}

describe('OpenAPI document: coverage and structure', () => {
  it('describes every route the app registers, and no route it does not', () => {
    const documented = ROUTE_SPECS.map((s) => `${s.method.toUpperCase()} ${openApiPath(s.path)}`).sort();
    const registered = expressRoutes();
    const undocumented = registered.filter((r) => !documented.includes(r));
    assert.deepEqual(undocumented, [], 'routes without a spec entry: add a RouteSpec (see src/rest/openapi.ts)');
    assert.deepEqual(
      documented.filter((r) => !registered.includes(r)),
      [],
      'spec entries without a route',
    );
    assert.equal(new Set(documented).size, documented.length, 'a route is described twice');
  });

  it('is OpenAPI 3.1 whose references resolve, with unique operation ids and responses everywhere', () => {
    const doc = openApiDocument() as Json;
    assert.match(String(doc.openapi), /^3\.1\.\d+$/);
    assert.equal(typeof (doc.info as Json).title, 'string');
    for (const ref of refsIn(doc)) assert.ok(resolve(doc, ref) !== undefined, `${ref} does not resolve`);
    const ops = operations(doc);
    assert.equal(ops.length, ROUTE_SPECS.length);
    const ids = ops.map(({ op }) => op.operationId);
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    const schemes = Object.keys(((doc.components as Json).securitySchemes as Json) ?? {});
    for (const { route, op } of ops) {
      assert.equal(typeof op.operationId, 'string', route);
      const responses = Object.keys(op.responses as Json);
      assert.ok(
        responses.some((s) => /^2\d\d$/.test(s)),
        `${route} has a success response`,
      );
      for (const requirement of (op.security as Json[] | undefined) ?? []) {
        for (const name of Object.keys(requirement)) assert.ok(schemes.includes(name), `${route}: scheme ${name}`);
      }
      // Every {param} of the path is declared, as a required path parameter.
      const declared = ((op.parameters as Json[] | undefined) ?? []).filter((p) => p.in === 'path');
      const inPath = [...route.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      assert.deepEqual(declared.map((p) => p.name).sort(), inPath.sort(), `${route}: path parameters`);
      for (const p of declared) assert.equal(p.required, true, `${route}: ${String(p.name)} is required`);
    }
  });

  it('documents each error code under the status errors.ts gives it, and the common ones everywhere', () => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, { responses: Json }>> };
    for (const spec of ROUTE_SPECS) {
      const op = doc.paths[openApiPath(spec.path)]?.[spec.method];
      assert.ok(op, `${spec.method} ${spec.path}`);
      for (const code of errorCodesOf(spec)) {
        const status = String(ERROR_STATUS[code]);
        assert.ok(op.responses[status], `${spec.method} ${spec.path} documents ${status} for ${code}`);
        const response = JSON.stringify(inlined(doc as unknown as Json, op.responses[status]));
        assert.ok(response.includes(`"${code}"`), `${spec.path}: ${code}`);
      }
      assert.ok(op.responses['500'], `${spec.path}: INTERNAL`);
      if (spec.access === 'scoped') assert.ok(op.responses['401'] && op.responses['403'], `${spec.path}: auth`);
      if (spec.body !== undefined) assert.ok(op.responses['400'] && op.responses['413'], `${spec.path}: body`);
    }
  });
});
