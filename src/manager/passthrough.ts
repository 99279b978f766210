/**
 * Statements the gateway does not own run on the engine of the request's catalog, but never write a dynamic
 * table's physical table (Freshet maintains its rows and schema) nor drop or alter a table dynamic tables read.
 */
import type { ExecuteOptions, StatementResult } from '../engine/engine';
import { FreshetError, invalidState, validationError } from '../errors';
import type { PassthroughStatement } from '../sql/statements';
import { dependantsOf } from './dependencies';
import { type NameDefaults, resolveObjectName } from './identifiers';
import type { ManagerParts } from './manager-parts';

export async function runPassthrough(
  parts: ManagerParts,
  statement: PassthroughStatement,
  ns: NameDefaults,
  options: ExecuteOptions,
): Promise<StatementResult> {
  if (statement.target && statement.effect !== 'read' && statement.effect !== 'other') {
    const name = resolveObjectName(statement.target, ns);
    const table = await parts.catalog.getTable(name.key);
    if (table && statement.effect !== 'create') {
      throw validationError(
        `${table.identifier} is a dynamic table; Freshet maintains its rows and schema. Use ALTER DYNAMIC TABLE or DROP DYNAMIC TABLE instead of ${statement.verb}.`,
        { line: statement.target.position.line, column: statement.target.position.column },
      );
    }
    if (statement.effect === 'drop' || statement.effect === 'alter') {
      const dependants = await dependantsOf(parts.catalog, name.key);
      if (dependants.length > 0) {
        throw invalidState(
          `Cannot ${statement.verb.toLowerCase()} ${name.identifier}: dynamic table(s) ${dependants.join(', ')} read from it. Drop or alter them first.`,
        );
      }
    }
  }
  try {
    return await parts.namespaces.engineOf(ns.catalogName).execute(statement.text, options);
  } catch (error) {
    throw offsetPosition(error, statement);
  }
}

/** Engine errors carry positions relative to the statement; clients want them relative to what they sent. */
function offsetPosition(error: unknown, statement: PassthroughStatement): unknown {
  if (!(error instanceof FreshetError) || error.line === undefined) return error;
  const line = statement.position.line + error.line - 1;
  const column = error.line === 1 ? statement.position.column + (error.column ?? 1) - 1 : error.column;
  return new FreshetError(error.code, error.message, { line, column, details: error.details, cause: error });
}
