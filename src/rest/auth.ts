/**
 * Bearer-token auth. A token's scopes decide which endpoints it may call; for `POST /v3/statements` the statement
 * service then decides statement by statement, from the scopes this layer hands down (see src/manager/scopes.ts).
 * With no tokens configured the gateway is open, which start-up allows only on loopback.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { ALL_SCOPES, type Scope } from '../manager/scopes';
import { sendError } from './error-handler';

export type { Scope } from '../manager/scopes';

export interface TokenGrant {
  /** Who holds the token, for the records of what it did (`auth.tokens[].name`). */
  readonly name?: string;
  readonly token: string;
  readonly scopes: readonly Scope[];
}

interface RouteRule {
  readonly methods: readonly string[];
  readonly path: RegExp;
  /** The scope to name in a refusal: the least a person's token needs. */
  readonly needs: Scope;
  readonly allowed: readonly Scope[];
}

// Case-insensitive and with an optional trailing slash, as express routes them. `admin` may call anything; a path
// no rule names is for `admin` only. Every GET under /v3 reads, so `read` may call each, present and future.
const ROUTES: readonly RouteRule[] = [
  {
    methods: ['POST'],
    path: /^\/v3\/statements\/?$/i,
    needs: 'read',
    allowed: ['read', 'operate'],
  },
  // Whoever may run statements may cancel one, by the id its POST answered with or was given.
  {
    methods: ['DELETE'],
    path: /^\/v3\/statements\/[^/]+\/?$/i,
    needs: 'read',
    allowed: ['read', 'operate'],
  },
  {
    methods: ['POST'],
    path: /^\/v3\/dynamic-tables\/refresh\/?$/i,
    needs: 'operate',
    allowed: ['operate', 'callback'],
  },
  {
    methods: ['POST'],
    path: /^\/v3\/dynamic-tables\/[^/]+\/backfill\/?$/i,
    needs: 'operate',
    allowed: ['operate'],
  },
  {
    methods: ['GET', 'HEAD'],
    path: /^\/v3\/jobs\/[^/]+\/?$/i,
    needs: 'read',
    allowed: ['read', 'operate', 'callback'],
  },
  // Registering a source hands out its access token: for people who may change things.
  {
    methods: ['POST'],
    path: /^\/(v3\/sources|sources\/register)\/?$/i,
    needs: 'operate',
    allowed: ['operate'],
  },
  {
    methods: ['GET', 'HEAD'],
    path: /^\/sources\/[^/]+\/check_readiness\/?$/i,
    needs: 'read',
    allowed: ['read', 'operate'],
  },
  {
    methods: ['POST'],
    path: /^\/v3\/reflection\/run\/?$/i,
    needs: 'operate',
    allowed: ['operate'],
  },
  // Searching datasets is reading, though the search is sent as a body; profiling and running a discoverer read
  // the data again now; materialising a file makes a table, so only admin may (no rule).
  {
    methods: ['POST'],
    path: /^\/v3\/datasets\/search\/?$/i,
    needs: 'read',
    allowed: ['read', 'operate'],
  },
  {
    methods: ['POST'],
    path: /^\/v3\/(datasets\/[^/]+\/profile|discoverers\/[^/]+\/run)\/?$/i,
    needs: 'operate',
    allowed: ['operate'],
  },
  // The API's description is no secret from anyone the gateway knows (src/rest/openapi.ts).
  { methods: ['GET', 'HEAD'], path: /^\/v3\/openapi\.json\/?$/i, needs: 'read', allowed: ALL_SCOPES },
  { methods: ['GET', 'HEAD'], path: /^\/v3\//i, needs: 'read', allowed: ['read', 'operate'] },
  { methods: ['GET', 'HEAD'], path: /^\/metrics\/?$/i, needs: 'metrics', allowed: ['metrics'] },
];

/**
 * Writes a source's access token authorises (DESIGN.md §10): a provider needs no gateway token. The route itself
 * checks the source's token, unless the caller holds a gateway admin token.
 */
const SOURCE_TOKEN_ROUTES: readonly RegExp[] = [
  /^\/v3\/providers\/?$/i,
  /^\/v3\/sources\/[^/]+\/partitions(\/lock|\/unlock)?\/?$/i,
  /^\/providers\/register\/?$/i,
  /^\/partitions\/(register|lock|unlock)\/?$/i,
];

/** The bearer token of a request, if it sends one. */
export function bearerToken(req: Request): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
}

/** True when the caller sent a gateway token with the admin scope (never when the gateway has no tokens). */
export function isGatewayAdmin(res: Response): boolean {
  return (res.locals.scopes as readonly Scope[] | undefined)?.includes('admin') === true;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The scope a request needs, or null when the caller's scopes allow it. */
function missingScope(method: string, path: string, scopes: readonly Scope[]): Scope | null {
  if (scopes.includes('admin')) return null;
  const rule = ROUTES.find((r) => r.methods.includes(method) && r.path.test(path));
  if (!rule) return 'admin';
  return rule.allowed.some((scope) => scopes.includes(scope)) ? null : rule.needs;
}

/** The name of the request's caller, when its token has one (never when auth is off). */
export function callerName(res: Response): string | null {
  const name: unknown = res.locals.caller;
  return typeof name === 'string' ? name : null;
}

/** The scopes of the request's caller, as {@link authenticate} found them; every scope when auth is off. */
export function callerScopes(res: Response): readonly Scope[] {
  return (res.locals.scopes as readonly Scope[] | undefined) ?? ALL_SCOPES;
}

/**
 * `isCallbackToken` recognises the tokens minted for scheduler workflows; they carry the `callback` scope.
 */
export function authenticate(
  grants: readonly TokenGrant[],
  isCallbackToken: (token: string) => Promise<boolean>,
): RequestHandler {
  return async (req, res, next) => {
    if (grants.length === 0 || req.path === '/health') return next();
    const token = bearerToken(req);
    if (req.method === 'POST' && SOURCE_TOKEN_ROUTES.some((route) => route.test(req.path))) {
      // A gateway token is noted (an admin may write any source); any other bearer is a source's access token.
      const grant = token === undefined ? undefined : grants.find((g) => sameToken(g.token, token));
      if (grant !== undefined) res.locals.scopes = grant.scopes;
      return next();
    }
    if (token === undefined) {
      return sendError(res, 'UNAUTHORIZED', 'Authentication required: send Authorization: Bearer <token>.');
    }
    const grant: TokenGrant | undefined =
      grants.find((g) => sameToken(g.token, token)) ??
      ((await isCallbackToken(token)) ? { token, scopes: ['callback'] } : undefined);
    if (!grant) return sendError(res, 'UNAUTHORIZED', 'The bearer token is not valid.');
    const needs = missingScope(req.method, req.path, grant.scopes);
    if (needs === null) {
      res.locals.scopes = grant.scopes;
      if (grant.name !== undefined) res.locals.caller = grant.name;
      return next();
    }
    return sendError(
      res,
      'FORBIDDEN',
      `${req.method} ${req.path} needs the ${needs} scope; this token has ${grant.scopes.join(', ')}.`,
    );
  };
}
