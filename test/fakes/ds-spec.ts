/**
 * DolphinScheduler's endpoints per release line, read from the endpoint tables derived from its Spring controllers
 * and kept in the repository (`test/fakes/specs/dolphinscheduler/<version>.json`; their README says where each
 * comes from). The fake routes by them and the tests check the plugin's requests against them.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export type DsVersion = '3.1' | '3.2' | '3.3';

export interface SpecParam {
  readonly name: string;
  readonly in: 'path' | 'query/form' | string;
  readonly required: boolean;
  readonly default?: string | null;
  readonly javaType?: string;
}

export interface SpecEndpoint {
  readonly controller: string;
  readonly javaMethod: string;
  readonly httpMethod: string;
  readonly path: string;
  readonly successHttpStatus: string;
  readonly params: readonly SpecParam[];
}

export interface EndpointMatch {
  readonly endpoint: SpecEndpoint;
  readonly pathParams: Readonly<Record<string, string>>;
}

/** The repository root: the nearest folder above this file holding package.json (works from dist/ too). */
export function repoRoot(from = __dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'src'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${from}`);
    dir = parent;
  }
}

export function specFile(version: DsVersion): string {
  return path.join(repoRoot(), 'test', 'fakes', 'specs', 'dolphinscheduler', `${version}.json`);
}

const cache = new Map<DsVersion, readonly SpecEndpoint[]>();

export function loadSpec(version: DsVersion): readonly SpecEndpoint[] {
  let endpoints = cache.get(version);
  if (endpoints === undefined) {
    endpoints = (JSON.parse(readFileSync(specFile(version), 'utf8')) as { endpoints: SpecEndpoint[] }).endpoints;
    cache.set(version, endpoints);
  }
  return endpoints;
}

/** The endpoint Spring would pick: literal segments beat `{variables}`. */
export function matchEndpoint(
  endpoints: readonly SpecEndpoint[],
  method: string,
  requestPath: string,
): EndpointMatch | null {
  const segments = requestPath.split('/').filter((s) => s !== '');
  let best: { match: EndpointMatch; literals: number } | null = null;
  for (const endpoint of endpoints) {
    if (endpoint.httpMethod !== method) continue;
    const template = endpoint.path.split('/').filter((s) => s !== '');
    if (template.length !== segments.length) continue;
    const pathParams: Record<string, string> = {};
    let literals = 0;
    const fits = template.every((part, i) => {
      const segment = decodeURIComponent(segments[i] ?? '');
      const variable = /^\{(\w+)(?::.*)?\}$/.exec(part);
      if (variable?.[1]) {
        pathParams[variable[1]] = segment;
        return true;
      }
      literals += 1;
      return part === segment;
    });
    if (fits && (best === null || literals > best.literals)) best = { match: { endpoint, pathParams }, literals };
  }
  return best?.match ?? null;
}

/** What Spring would refuse or ignore in a request: missing required parameters and undeclared ones. */
export function requestProblems(match: EndpointMatch, params: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  const declared = new Set(match.endpoint.params.map((p) => p.name));
  for (const param of match.endpoint.params) {
    if (param.in === 'path') continue;
    if (param.required && (param.default === undefined || param.default === null) && !params.has(param.name)) {
      problems.push(`missing required parameter '${param.name}'`);
    }
  }
  for (const name of params.keys()) {
    if (!declared.has(name)) problems.push(`undeclared parameter '${name}'`);
  }
  return problems;
}

export function successStatusOf(endpoint: SpecEndpoint): number {
  return endpoint.successHttpStatus === 'CREATED' ? 201 : 200;
}
