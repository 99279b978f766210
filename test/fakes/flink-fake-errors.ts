/**
 * Errors as the Flink SQL Gateway reports them: Java exceptions with cause chains, printed as stack traces
 * inside `{"errors": [...]}`. Two shapes exist (flink-runtime AbstractHandler#handleException):
 * - a RestHandlerException (operation status/cancel/close, close session): `{"errors": ["<its stack trace>"]}`;
 * - anything else (execute statement, fetch results, configure session, …): HTTP 500 with
 *   `{"errors": ["Internal server error.", "<Exception on server side:\n<stack trace>\nEnd of exception on server side>"]}`.
 */

/** A Java exception: fully qualified class, message, cause. */
export class JavaThrowable extends Error {
  constructor(
    readonly className: string,
    message: string,
    readonly javaCause: JavaThrowable | null = null,
  ) {
    super(message);
    this.name = 'JavaThrowable';
  }

  /** `Throwable#toString()`: what a `new X(cause)` takes as its message. */
  override toString(): string {
    return this.message === '' ? this.className : `${this.className}: ${this.message}`;
  }
}

const CLASSES = {
  sqlGateway: 'org.apache.flink.table.gateway.api.utils.SqlGatewayException',
  sqlExecution: 'org.apache.flink.table.gateway.service.utils.SqlExecutionException',
  restHandler: 'org.apache.flink.runtime.rest.handler.RestHandlerException',
  validation: 'org.apache.flink.table.api.ValidationException',
  sqlParser: 'org.apache.flink.table.api.SqlParserException',
  calciteParse: 'org.apache.calcite.sql.parser.SqlParseException',
  calciteContext: 'org.apache.calcite.runtime.CalciteContextException',
  sqlValidator: 'org.apache.calcite.sql.validate.SqlValidatorException',
  table: 'org.apache.flink.table.api.TableException',
  tableAlreadyExists: 'org.apache.flink.table.catalog.exceptions.TableAlreadyExistException',
  databaseNotExist: 'org.apache.flink.table.catalog.exceptions.DatabaseNotExistException',
  catalog: 'org.apache.flink.table.catalog.exceptions.CatalogException',
  jobExecution: 'org.apache.flink.runtime.client.JobExecutionException',
  jobNotFound: 'org.apache.flink.runtime.messages.FlinkJobNotFoundException',
  jobTerminated: 'org.apache.flink.runtime.messages.FlinkJobTerminatedWithoutCancellationException',
  jobCancellation: 'org.apache.flink.runtime.client.JobCancellationException',
  runtime: 'java.lang.RuntimeException',
  illegalArgument: 'java.lang.IllegalArgumentException',
  unsupported: 'java.lang.UnsupportedOperationException',
} as const;

/** Constructors of the exceptions the fake raises, by role. */
export const java = Object.fromEntries(
  Object.entries(CLASSES).map(([role, className]) => [
    role,
    (message: string, cause: JavaThrowable | null = null) => new JavaThrowable(className, message, cause),
  ]),
) as { readonly [K in keyof typeof CLASSES]: (message: string, cause?: JavaThrowable | null) => JavaThrowable };

/** Calcite's positioned validation error, wrapped the way Flink's planner wraps it. */
export function validationAt(
  message: string,
  at: { line: number; column: number; endLine: number; endColumn: number },
): JavaThrowable {
  const where = `From line ${at.line}, column ${at.column} to line ${at.endLine}, column ${at.endColumn}: ${message}`;
  return java.validation(`SQL validation failed. ${where}`, java.calciteContext(where, java.sqlValidator(message)));
}

/** A parse error at a position, as Flink's parser reports it. */
export function parseErrorAt(found: string, at: { line: number; column: number }): JavaThrowable {
  const message = `Encountered "${found}" at line ${at.line}, column ${at.column}.`;
  return java.sqlParser(`SQL parse failed. ${message}`, java.calciteParse(message));
}

/** Made-up but plausible frames, so clients must skip frames the way they would on a real trace. */
function frameOf(className: string): string {
  const simple = className.slice(className.lastIndexOf('.') + 1);
  return `\tat ${className.toLowerCase().replace(/[^a-z.]/g, '')}.Fake${simple}Site.invoke(Fake${simple}Site.java:42)`;
}

export function stackTrace(throwable: JavaThrowable): string {
  const lines = [throwable.toString(), frameOf(throwable.className)];
  for (let cause = throwable.javaCause; cause !== null; cause = cause.javaCause) {
    lines.push(`Caused by: ${cause.toString()}`, frameOf(cause.className), '\t... 12 more');
  }
  return lines.join('\n');
}

export interface ErrorBody {
  readonly errors: readonly string[];
}

/** HTTP 500 body for an exception that is not a RestHandlerException. */
export function internalServerError(throwable: JavaThrowable): ErrorBody {
  return {
    errors: [
      'Internal server error.',
      `<Exception on server side:\n${stackTrace(throwable)}\nEnd of exception on server side>`,
    ],
  };
}

/** HTTP 500 body of a handler that wraps a service failure in a RestHandlerException with the failure's message. */
export function restHandlerError(failure: JavaThrowable): ErrorBody {
  return { errors: [stackTrace(java.restHandler(failure.message, failure))] };
}

/** `new SqlGatewayException(cause)`: the cause's toString() becomes the message. */
export const wrapping = (cause: JavaThrowable) => java.sqlGateway(cause.toString(), cause);
