/** Airflow's own words from an error answer, whichever API version sent it. */

const MAX_MESSAGE = 2000;

/**
 * Airflow 2 answers RFC 7807 problem+json (`detail`, else `title`); Airflow 3 answers FastAPI's `{detail}`, where
 * `detail` is a string, an object (`{reason, message}` for constraint violations) or, on 422, a list of
 * pydantic errors. Anything else (a proxy's HTML page) is passed on as text.
 */
export function airflowErrorMessage(body: unknown, fallback: string): string {
  const text = messageFrom(body) ?? fallback;
  return text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE)}…`;
}

function messageFrom(body: unknown): string | null {
  if (typeof body === 'string') return body.trim() === '' ? null : body.trim();
  if (body === null || typeof body !== 'object') return null;
  const { detail, title } = body as { detail?: unknown; title?: unknown };
  if (typeof detail === 'string' && detail !== '') return detail;
  if (Array.isArray(detail)) return detail.map(validationIssue).join('; ');
  if (detail !== null && typeof detail === 'object') {
    const { message, reason } = detail as { message?: unknown; reason?: unknown };
    if (typeof message === 'string') return typeof reason === 'string' ? `${reason}: ${message}` : message;
    return JSON.stringify(detail);
  }
  return typeof title === 'string' && title !== '' ? title : null;
}

function validationIssue(issue: unknown): string {
  const { loc, msg } = (issue ?? {}) as { loc?: unknown; msg?: unknown };
  const where = Array.isArray(loc) ? loc.join('.') : '';
  const what = typeof msg === 'string' ? msg : JSON.stringify(issue);
  return where === '' ? what : `${where}: ${what}`;
}
