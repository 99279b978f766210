/** The one place that turns errors into HTTP responses. */
import type { ErrorRequestHandler, Response } from 'express';
import { ZodError } from 'zod';
import { FreshetError, httpStatusOf, type ErrorCode } from '../errors';
import type { Logger } from '../logger';

export function sendError(res: Response, code: ErrorCode, message: string, extra: Record<string, unknown> = {}): void {
  res.status(httpStatusOf(code)).json({ error: { code, message, ...extra } });
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    if (res.headersSent) return;
    if (error instanceof FreshetError) {
      const extra: Record<string, unknown> = {};
      if (error.line !== undefined) extra.line = error.line;
      if (error.column !== undefined) extra.column = error.column;
      if (error.details !== undefined) extra.details = error.details;
      if (error.code === 'INTERNAL') logger.error('internal error', { path: req.path, error: error.message });
      sendError(res, error.code, error.message, extra);
      return;
    }
    if (error instanceof ZodError) {
      const problems = error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'body'}: ${i.message}`);
      sendError(res, 'VALIDATION_ERROR', `Invalid request: ${problems.join('; ')}`, { details: error.issues });
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
    if (typeof bodyError.status === 'number' && bodyError.status >= 400 && bodyError.status < 500) {
      sendError(
        res,
        'VALIDATION_ERROR',
        `The request body could not be read: ${bodyError.message ?? 'unknown problem'}.`,
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
