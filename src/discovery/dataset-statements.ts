/** `SHOW DATASETS`, `DESCRIBE DATASET` and `SEARCH DATASETS`, answered from the discovery service. */
import { notFound, validationError } from '../errors';
import type { DatasetStatements, StatementResultJson } from '../manager/statement-service';
import { likeMatcher } from '../sql/like';
import type { DatasetStatement, ObjectName } from '../sql/statements';
import type { Dataset } from './dataset-view';
import type { DiscoveryService } from './discovery-service';
import type { ColumnProfile, DatasetProfile } from './profile-model';

const SHOW_COLUMNS = ['id', 'kind', 'name', 'rows', 'columns', 'status', 'updated_at', 'profiled_at'];
const DESCRIBE_COLUMNS = [
  'name',
  'type',
  'semantic_type',
  'null_ratio',
  'distinct',
  'min',
  'max',
  'mean',
  'stddev',
  'top_values',
];
const SEARCH_COLUMNS = ['id', 'kind', 'name', 'score', 'rows', 'temporal_start', 'temporal_end', 'freshness'];

/**
 * The dataset a name in a statement means: the dataset of that id; else the one whose id within its discoverer,
 * or whose name, is the name (without case); else the one whose table identifier ends with it.
 */
export function findDataset(datasets: readonly Dataset[], name: ObjectName): Dataset {
  const text = name.parts.join('.');
  const lower = text.toLowerCase();
  const tries: Array<(d: Dataset) => boolean> = [
    (d) => d.id === text,
    (d) => d.localId.toLowerCase() === lower,
    (d) => d.name.toLowerCase() === lower,
    (d) => d.localId.toLowerCase().endsWith(`.${lower}`),
  ];
  for (const matches of tries) {
    const found = datasets.filter(matches);
    if (found.length === 1 && found[0] !== undefined) return found[0];
    if (found.length > 1) {
      throw validationError(
        `'${text}' names ${found.length} datasets (${found
          .slice(0, 5)
          .map((d) => d.id)
          .join(', ')}); name one by its id, as a string: DESCRIBE DATASET '${found[0]?.id}'.`,
        { line: name.position.line, column: name.position.column },
      );
    }
  }
  throw notFound(`There is no dataset '${text}'; SHOW DATASETS lists them.`);
}

function topValuesText(column: ColumnProfile): string | null {
  return column.topValues === null ? null : column.topValues.map((t) => `${t.value} (${t.count})`).join(', ');
}

export class DiscoveryStatements implements DatasetStatements {
  constructor(private readonly discovery: DiscoveryService) {}

  async run(statement: DatasetStatement, rowLimit: number): Promise<StatementResultJson> {
    switch (statement.kind) {
      case 'showDatasets':
        return this.show(statement.like, rowLimit);
      case 'describeDataset':
        return this.describe(statement.name);
      case 'searchDatasets':
        return this.search(statement.keywords, rowLimit);
    }
  }

  private async show(like: string | null, rowLimit: number): Promise<StatementResultJson> {
    const pattern = like === null ? null : likeMatcher(like);
    const { datasets } = await this.discovery.list({ offset: 0, limit: Number.MAX_SAFE_INTEGER });
    const shown = datasets.filter((d) => pattern === null || pattern.matches(d.name) || pattern.matches(d.id));
    const rows = shown
      .slice(0, rowLimit)
      .map((d) => [d.id, d.kind, d.name, d.rowCount, d.columns.length, d.status, d.updatedAt, d.profiledAt]);
    return { kind: 'rows', columns: SHOW_COLUMNS, rows, ...(shown.length > rowLimit ? { truncated: true } : {}) };
  }

  private async describe(name: ObjectName): Promise<StatementResultJson> {
    const dataset = findDataset(this.discovery.book.all(), name);
    const detail = await this.discovery.detail(dataset.id);
    const profile = (detail.profile?.profile ?? null) as DatasetProfile | null;
    const profiled = new Map((profile?.columns ?? []).map((c) => [c.name.toLowerCase(), c]));
    const rows = detail.columns.map((column) => {
      const p = profiled.get(column.name.toLowerCase());
      return [
        column.name,
        column.type,
        column.semanticType,
        p?.nullRatio ?? null,
        p?.distinctCount ?? null,
        p?.min ?? null,
        p?.max ?? null,
        p?.mean ?? null,
        p?.stddev ?? null,
        p === undefined ? null : topValuesText(p),
      ];
    });
    const coverage = detail.temporalCoverage
      .map((c) => `${c.column} ${c.start} to ${c.end} by ${c.resolution}`)
      .join('; ');
    const where = Object.values(detail.location).slice(0, 2).join(' ');
    const sample = profile?.sampled ? ` (statistics of a sample of ${profile.profiledRows})` : '';
    const message =
      `${detail.id}: ${detail.kind.replace('_', ' ')} at ${where}, ${detail.status}` +
      (detail.rowCount === null ? '' : `, ${detail.rowCount} rows${sample}`) +
      (detail.profiledAt === null ? ', not profiled yet' : `, profiled at ${detail.profiledAt}`) +
      (coverage === '' ? '' : `; temporal coverage: ${coverage}`) +
      (detail.freshness === null ? '' : `; freshness ${detail.freshness}`);
    return { kind: 'rows', columns: DESCRIBE_COLUMNS, rows, message };
  }

  private async search(keywords: string, rowLimit: number): Promise<StatementResultJson> {
    const { results, total } = await this.discovery.search({ keywords, size: rowLimit, page: 1 });
    const rows = results.map((r) => [
      r.id,
      r.kind,
      r.name,
      r.score ?? null,
      r.rowCount,
      r.temporalCoverage[0]?.start ?? null,
      r.temporalCoverage[0]?.end ?? null,
      r.freshness,
    ]);
    return {
      kind: 'rows',
      columns: SEARCH_COLUMNS,
      rows,
      message: `${total} dataset(s) match '${keywords}'.`,
      ...(total > rows.length ? { truncated: true } : {}),
    };
  }
}
