/** Request bodies as JSON, whatever their content type says: some schedulers cannot set a JSON content type. */
import type { Request } from 'express';
import { validationError } from '../errors';

/** The body as JSON; an empty body is refused. */
export function jsonBody(req: Request): unknown {
  const raw = typeof req.body === 'string' ? req.body : '';
  if (raw.trim() === '') throw validationError('The request body is empty; send a JSON object.');
  return parseJson(raw);
}

/** The body as JSON, `{}` when there is none (a route whose body is all optional). */
export function optionalJsonBody(req: Request): unknown {
  const raw = typeof req.body === 'string' ? req.body : '';
  return raw.trim() === '' ? {} : parseJson(raw);
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw validationError(`The request body is not valid JSON: ${(error as Error).message}.`);
  }
}
