/**
 * Bearer-token auth with two scopes: `admin` (everything) and `callback` (refresh calls and job reads, what a
 * scheduler workflow is given). With no tokens configured the gateway is open, which start-up allows only on
 * loopback.
 */
import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { sendError } from './error-handler';

export type Scope = 'admin' | 'callback';

export interface TokenGrant {
  readonly token: string;
  readonly scopes: readonly Scope[];
}

const CALLBACK_ROUTES: ReadonlyArray<readonly [string, RegExp]> = [
  ['POST', /^\/v3\/dynamic-tables\/refresh\/?$/],
  ['GET', /^\/v3\/jobs\/[^/]+\/?$/],
];

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
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
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) return sendError(res, 'UNAUTHORIZED', 'Authentication required: send Authorization: Bearer <token>.');
    const token = match[1] as string;
    const grant: TokenGrant | undefined =
      grants.find((g) => sameToken(g.token, token)) ??
      ((await isCallbackToken(token)) ? { token, scopes: ['callback'] } : undefined);
    if (!grant) return sendError(res, 'UNAUTHORIZED', 'The bearer token is not valid.');
    if (grant.scopes.includes('admin')) return next();
    if (
      grant.scopes.includes('callback') &&
      CALLBACK_ROUTES.some(([method, path]) => method === req.method && path.test(req.path))
    )
      return next();
    return sendError(
      res,
      'FORBIDDEN',
      `This token's scopes (${grant.scopes.join(', ')}) do not allow ${req.method} ${req.path}.`,
    );
  };
}
