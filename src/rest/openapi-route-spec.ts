/** The shape in which route modules describe their routes for the OpenAPI document (src/rest/openapi.ts). */
import type { z } from 'zod';
import type { ErrorCode } from '../errors';

/**
 * Who may call a route: `open` anyone; `anyToken` any valid token; `scoped` a token with a scope that auth.ts
 * grants for it; `sourceToken` a source's access token (or a gateway admin token), checked by the route.
 */
export type Access = 'open' | 'anyToken' | 'scoped' | 'sourceToken';

export interface ResponseSpec {
  readonly description: string;
  readonly schema: z.ZodType;
  /** `application/json` unless given (`text/plain; version=0.0.4` for Prometheus' exposition). */
  readonly contentType?: string;
}

/** One route as the OpenAPI document describes it. */
export interface RouteSpec {
  readonly method: 'get' | 'post' | 'delete';
  /** As express routes it: `/v3/sources/:name`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  readonly access: Access;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  /** A JSON body (also read as JSON when sent with another content type). */
  readonly body?: z.ZodType;
  /** Also accepted form-encoded (the registry's compatible surface). */
  readonly formBody?: boolean;
  /** Successful answers by status; other statuses that are no error envelope (a waited refresh that failed). */
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  /** The error codes the route's own work answers with. */
  readonly errors: readonly ErrorCode[];
}
