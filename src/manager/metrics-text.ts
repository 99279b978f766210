/**
 * Prometheus' text format written by hand for the metric families with a series per dynamic table. prom-client
 * formats every series of a family again at each call, through generic label handling; with a thousand tables
 * that cost more than the rest of a scrape together. Here a series' lines are formatted when its value changes,
 * and only the blocks of lines holding a changed series are encoded and compressed again (metrics-segments.ts).
 */
import { BlockedLines, type Segment, segmentOf } from './metrics-segments';

/** A label value as the text format quotes it. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** A sample value as the text format spells it. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** `name{a="x",b="y"}` (just `name` without labels), with the values escaped. */
export function seriesName(name: string, labelNames: readonly string[], values: readonly string[]): string {
  if (labelNames.length === 0) return name;
  return `${name}{${labelNames.map((label, i) => `${label}="${escapeLabel(values[i] ?? '')}"`).join(',')}}`;
}

/** The `# HELP` and `# TYPE` lines of a family. */
export function familyHeader(name: string, help: string, type: 'counter' | 'gauge' | 'histogram'): string {
  return `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`;
}

/** A family's segments: its header, then its lines in blocks. */
export abstract class LinesFamily {
  protected readonly lines = new BlockedLines();
  readonly #header: Segment;

  constructor(
    readonly name: string,
    header: string,
  ) {
    this.#header = segmentOf(header);
  }

  segments(): Segment[] {
    return [this.#header, ...this.lines.segments()];
  }
}

interface CounterSeries {
  readonly index: number;
  readonly prefix: string;
  value: number;
}

/** A counter family: one series per combination of label values, in the order they first appeared. */
export class CounterFamily<L extends string> extends LinesFamily {
  readonly #series = new Map<string, CounterSeries>();

  constructor(
    name: string,
    help: string,
    private readonly labelNames: readonly L[],
  ) {
    super(name, familyHeader(name, help, 'counter'));
  }

  inc(labels: Readonly<Record<L, string>>, by = 1): void {
    const values = this.labelNames.map((label) => labels[label]);
    const key = values.join('\u0000');
    let series = this.#series.get(key);
    if (series === undefined) {
      const prefix = `${seriesName(this.name, this.labelNames, values)} `;
      series = { index: this.#series.size, prefix, value: 0 };
      this.#series.set(key, series);
    }
    series.value += by;
    this.lines.set(series.index, `${series.prefix}${formatValue(series.value)}\n`);
  }
}

interface HistogramSeries {
  readonly index: number;
  readonly labels: string;
  readonly counts: number[];
  sum: number;
  count: number;
}

/** A histogram family with fixed buckets: a series' lines are formatted again when it observes a value. */
export class HistogramFamily<L extends string> extends LinesFamily {
  readonly #series = new Map<string, HistogramSeries>();
  readonly #bounds: readonly string[];

  constructor(
    name: string,
    help: string,
    private readonly labelNames: readonly L[],
    private readonly buckets: readonly number[],
  ) {
    super(name, familyHeader(name, help, 'histogram'));
    this.#bounds = [...buckets.map(formatValue), '+Inf'];
  }

  observe(labels: Readonly<Record<L, string>>, value: number): void {
    const values = this.labelNames.map((label) => labels[label]);
    const key = values.join('\u0000');
    let series = this.#series.get(key);
    if (series === undefined) {
      const text = this.labelNames.map((label, i) => `${label}="${escapeLabel(values[i] ?? '')}"`).join(',');
      series = { index: this.#series.size, labels: text, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    const bucket = this.buckets.findIndex((bound) => value <= bound);
    if (bucket >= 0) series.counts[bucket] = (series.counts[bucket] ?? 0) + 1;
    series.sum += value;
    series.count += 1;
    this.lines.set(series.index, this.#format(series));
  }

  #format(series: HistogramSeries): string {
    const sep = series.labels === '' ? '' : ',';
    const inner = series.labels === '' ? '' : `{${series.labels}}`;
    let text = '';
    let cumulative = 0;
    this.#bounds.forEach((bound, i) => {
      cumulative = i < series.counts.length ? cumulative + (series.counts[i] ?? 0) : series.count;
      text += `${this.name}_bucket{${series.labels}${sep}le="${bound}"} ${cumulative}\n`;
    });
    return `${text}${this.name}_sum${inner} ${formatValue(series.sum)}\n${this.name}_count${inner} ${series.count}\n`;
  }
}
