/** HS256 JSON Web Tokens as Airflow 3's API server issues them (`[api_auth] jwt_secret`), for the fake. */
import { createHmac, timingSafeEqual } from 'node:crypto';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const signature = (input: string, secret: string) => createHmac('sha256', secret).update(input).digest('base64url');

export function signJwt(claims: Record<string, unknown>, secret: string): string {
  const input = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
  return `${input}.${signature(input, secret)}`;
}

/** `invalid` for a malformed or forged token (or one signed with an old secret), `expired` past its `exp`. */
export function verifyJwt(token: string, secret: string, nowSeconds: number): 'valid' | 'invalid' | 'expired' {
  const parts = token.split('.');
  if (parts.length !== 3) return 'invalid';
  const [header, claims, given] = parts as [string, string, string];
  const expected = Buffer.from(signature(`${header}.${claims}`, secret));
  const actual = Buffer.from(given);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return 'invalid';
  try {
    const { exp } = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof exp === 'number' && exp <= nowSeconds ? 'expired' : 'valid';
  } catch {
    return 'invalid';
  }
}
