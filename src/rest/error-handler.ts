/** The one place that turns errors into HTTP responses. */
import type { ErrorRequestHandler, Response } from 'express';
import { ZodError } from 'zod';
import {
  type ErrorCode,
  FreshetError,
  boundEchoes,
  excerpt,
  httpStatusOf,
  storageFull,
  storageProblemOf,
} from '../errors';
import type { Logger } from '../logger';

export function sendError(res: Response, code: ErrorCode, message: string, extra: Record<string, unknown> = {}): void {
  res.status(httpStatusOf(code)).json({ error: { code, message, ...extra } });
}

/**
 * The error handler. `storageFullReason` says why storage is full, if it is: an unexpected error while it is full
 * is put down to that (a full SQLite database rolls back on its own, and knex then reports its own failed
 * ROLLBACK instead of the cause).
 */
export function errorHandler(
  logger: Logger,
  storageFullReason: () => Promise<string | undefined> = async () => undefined,
): ErrorRequestHandler {
  return async (thrown: unknown, req, res, _next) => {
    if (res.headersSent) return;
    // A database or disk that is full is no bug of the gateway's, whichever store ran into it.
    let error = thrown;
    if (!(thrown instanceof FreshetError) && storageProblemOf(thrown) === 'full') {
      error = storageFull("The gateway's storage", thrown);
    } else if (!(thrown instanceof FreshetError)) {
      const reason = await storageFullReason().catch(() => undefined);
      if (reason !== undefined) error = new FreshetError('STORAGE_FULL', reason, { cause: thrown });
    }
    if (error instanceof FreshetError) {
      const extra: Record<string, unknown> = {};
      if (error.line !== undefined) extra.line = error.line;
      if (error.column !== undefined) extra.column = error.column;
      if (error.details !== undefined) extra.details = error.details;
      if (error.code === 'INTERNAL') logger.error('internal error', { path: req.path, error: error.message });
      if (error.code === 'STORAGE_FULL') logger.warn('storage is full', { path: req.path, error: error.message });
      sendError(res, error.code, error.message, extra);
      return;
    }
    if (error instanceof ZodError) {
      const problems = error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'body'}: ${i.message}`);
      // zod quotes the values it refused, in its messages and issues alike.
      const issues = JSON.parse(
        JSON.stringify(error.issues, (_k, v: unknown) => (typeof v === 'string' ? excerpt(v) : v)),
      );
      sendError(res, 'VALIDATION_ERROR', boundEchoes(`Invalid request: ${problems.join('; ')}`), { details: issues });
      return;
    }
    const bodyError = error as { type?: string; status?: number; message?: string };
    if (bodyError.type === 'entity.too.large') {
      sendError(
        res,
        'PAYLOAD_TOO_LARGE',
        'The request body is larger than the limit of the gateway (server.bodyLimitBytes, 1 MiB by default).',
      );
      return;
    }
    if (bodyError.type === undefined && bodyError.status === 400 && error instanceof URIError) {
      // The router could not decode the path (`%` not followed by two hex digits): the body was never read.
      sendError(
        res,
        'VALIDATION_ERROR',
        boundEchoes(
          `The request path could not be decoded (${bodyError.message ?? 'bad escape'}); write a literal % as %25.`,
        ),
      );
      return;
    }
    if (typeof bodyError.status === 'number' && bodyError.status >= 400 && bodyError.status < 500) {
      sendError(
        res,
        'VALIDATION_ERROR',
        boundEchoes(`The request body could not be read: ${bodyError.message ?? 'unknown problem'}.`),
      );
      return;
    }
    logger.error('unexpected error', {
      path: req.path,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    sendError(res, 'INTERNAL', 'An unexpected error occurred in the gateway; it has been logged.');
  };
}
