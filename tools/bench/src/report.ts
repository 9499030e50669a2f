/** One line of the results table. */
export interface ResultRow {
  scenario: string;
  metric: string;
  value: number;
  unit: string;
  /** The same figure without the gateway (or with the feature off), measured in the same run. */
  baseline?: number;
  /** The ratio to show when it is not value / baseline (e.g. the median of per-round ratios). */
  ratio?: number;
  /** Human-readable target, e.g. "≤ 2 ms". */
  target?: string;
  /** Whether the target is met (undefined when there is no target). */
  met?: boolean;
  note?: string;
  /** The performance target (see targets.ts) this row measures, for the targets table. */
  goal?: string;
}

const format = (value: number | undefined, unit: string) => {
  if (value === undefined || Number.isNaN(value)) return '–';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
};

export function toMarkdownTable(rows: readonly ResultRow[]): string {
  const lines = ['| scenario | metric | value | baseline | ratio | target | met |', '|---|---|---|---|---|---|---|'];
  for (const row of rows) {
    const ratio =
      row.ratio !== undefined
        ? `${row.ratio.toFixed(2)}×`
        : row.baseline !== undefined && row.baseline !== 0 && !Number.isNaN(row.baseline)
          ? `${(row.value / row.baseline).toFixed(2)}×`
          : '–';
    const met = row.met === undefined ? '' : row.met ? 'yes' : '**no**';
    lines.push(
      `| ${row.scenario} | ${row.metric}${row.note ? ` (${row.note})` : ''} | ${format(row.value, row.unit)} | ${format(row.baseline, row.unit)} | ${ratio} | ${row.target ?? ''} | ${met} |`,
    );
  }
  return lines.join('\n');
}

export function printRows(rows: readonly ResultRow[]): void {
  process.stdout.write(`\n${toMarkdownTable(rows)}\n\n`);
}
