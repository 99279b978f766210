/**
 * Publish guards' options (DESIGN.md §12): the `guard.*` keys of `WITH (…)` and `ALTER … SET (…)`, checked so that
 * a bad value is refused with what to write instead, and read into the {@link PublishGuards} each refresh of the
 * table is judged by.
 */
import type { DynamicTableRecord } from '../catalog/records';
import { validationError } from '../errors';
import type { PublishGuards, RowExpectation } from '../model';

export const GUARD_ALLOW_EMPTY_OPTION = 'guard.allow_empty';
export const GUARD_MIN_ROWS_OPTION = 'guard.min_rows';
export const GUARD_MAX_ROW_CHANGE_RATIO_OPTION = 'guard.max_row_change_ratio';
const NULL_RATIO_PREFIX = 'guard.max_null_ratio.';

/** Every guard key, as messages list them. */
export const GUARD_OPTION_NAMES: readonly string[] = [
  GUARD_ALLOW_EMPTY_OPTION,
  GUARD_MIN_ROWS_OPTION,
  GUARD_MAX_ROW_CHANGE_RATIO_OPTION,
  `${NULL_RATIO_PREFIX}<column>`,
];

/** Whether `key` is in the guards' namespace (valid or not). */
export const isGuardOption = (key: string): boolean => key.toLowerCase().startsWith('guard.');

/** Whether `key` is a guard option Freshet knows. */
export function isKnownGuardOption(key: string): boolean {
  if ([GUARD_ALLOW_EMPTY_OPTION, GUARD_MIN_ROWS_OPTION, GUARD_MAX_ROW_CHANGE_RATIO_OPTION].includes(key)) return true;
  return key.startsWith(NULL_RATIO_PREFIX) && key.length > NULL_RATIO_PREFIX.length;
}

const unknownGuard = (key: string) =>
  validationError(
    `Unknown publish guard option '${key}'. Known guard options: ${GUARD_OPTION_NAMES.map((k) => `'${k}'`).join(', ')}.`,
  );

const DECIMAL = /^[0-9]+(\.[0-9]+)?$|^\.[0-9]+$/;

/**
 * Refuses a guard key Freshet does not know or a value it cannot use, saying what to write instead. With
 * `columns` (the table's columns), a null-ratio guard must name one of them.
 */
/**
 * Refuses publish guards a table's engine cannot judge (one without staged results, Flink): a guard that silently
 * judged nothing would be worse than none. `guard.allow_empty = 'true'` asks for nothing and is let through.
 */
export function requireGuardable(
  engine: { readonly name: string; readonly staging?: unknown },
  options: Readonly<Record<string, string>>,
  expectations: readonly unknown[],
): void {
  if (engine.staging !== undefined) return;
  const asked = Object.entries(options)
    .filter(([key, value]) => isGuardOption(key) && !(key === GUARD_ALLOW_EMPTY_OPTION && /^\s*true\s*$/i.test(value)))
    .map(([key]) => `'${key}'`);
  if (expectations.length > 0) asked.push('CONSTRAINT … EXPECT');
  if (asked.length === 0) return;
  throw validationError(
    `The ${engine.name} engine cannot check a refresh's result before it replaces the table, so it takes no publish ` +
      `guards; remove ${asked.join(', ')}, or keep the table in a catalog on SQLite, PostgreSQL or MySQL.`,
  );
}

export function checkGuardOptions(
  options: Readonly<Record<string, string>>,
  columns: readonly string[] | null = null,
): void {
  for (const [key, value] of Object.entries(options)) {
    if (!isGuardOption(key)) continue;
    const text = value.trim();
    if (key === GUARD_ALLOW_EMPTY_OPTION) {
      if (!/^(true|false)$/i.test(text)) {
        throw validationError(
          `'${key}' must be 'true' or 'false'; got '${value}'. 'true' lets an empty result replace a table ` +
            'that holds rows.',
        );
      }
    } else if (key === GUARD_MIN_ROWS_OPTION) {
      if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(Number(text))) {
        throw validationError(`'${key}' must be a whole number of rows, 0 or more, such as '1000'; got '${value}'.`);
      }
    } else if (key === GUARD_MAX_ROW_CHANGE_RATIO_OPTION) {
      if (!DECIMAL.test(text) || !(Number(text) > 0)) {
        throw validationError(
          `'${key}' must be a number greater than 0, such as '0.5' (refuse a result whose row count changes by ` +
            `more than 50%); got '${value}'.`,
        );
      }
    } else if (key.startsWith(NULL_RATIO_PREFIX) && key.length > NULL_RATIO_PREFIX.length) {
      if (!DECIMAL.test(text) || Number(text) > 1) {
        throw validationError(
          `'${key}' must be a share of rows from 0 to 1, such as '0.1' (at most 10% NULLs); got '${value}'.`,
        );
      }
      const column = key.slice(NULL_RATIO_PREFIX.length);
      if (columns !== null && !columns.some((c) => c.toLowerCase() === column.toLowerCase())) {
        throw validationError(
          `'${key}' names column '${column}', which the dynamic table does not have. Its columns: ` +
            `${columns.map((c) => `'${c}'`).join(', ')}.`,
        );
      }
    } else {
      throw unknownGuard(key);
    }
  }
}

/** Refuses a guard key Freshet does not know (RESET names keys without values). */
export function checkGuardKeys(keys: readonly string[]): void {
  const unknown = keys.find((key) => isGuardOption(key) && !isKnownGuardOption(key));
  if (unknown !== undefined) throw unknownGuard(unknown);
}

/** The guards a table's refreshes are judged by: its `guard.*` options and its row expectations. */
export function publishGuardsOf(table: DynamicTableRecord): PublishGuards {
  const { options } = table;
  const maxNullRatio: Record<string, number> = {};
  for (const [key, value] of Object.entries(options)) {
    if (!key.startsWith(NULL_RATIO_PREFIX) || key.length === NULL_RATIO_PREFIX.length) continue;
    const named = key.slice(NULL_RATIO_PREFIX.length);
    // The engine's column, spelt as the table spells it.
    const column = table.schema.find((c) => c.name.toLowerCase() === named.toLowerCase())?.name ?? named;
    maxNullRatio[column] = Number(value);
  }
  const minRows = options[GUARD_MIN_ROWS_OPTION];
  const ratio = options[GUARD_MAX_ROW_CHANGE_RATIO_OPTION];
  return {
    allowEmpty: options[GUARD_ALLOW_EMPTY_OPTION]?.trim().toLowerCase() === 'true',
    minRows: minRows === undefined ? null : Number(minRows),
    maxRowChangeRatio: ratio === undefined ? null : Number(ratio),
    maxNullRatio,
    expectations: (table.expectations ?? []).map(
      (e): RowExpectation => ({ name: e.name, condition: e.condition, onViolation: e.onViolation }),
    ),
  };
}

/** Expectations as the catalog keeps them: name, condition and action only; undefined when there are none. */
export function storedExpectations(list: readonly RowExpectation[]): RowExpectation[] | undefined {
  if (list.length === 0) return undefined;
  return list.map(({ name, condition, onViolation }) => ({ name, condition, onViolation }));
}
