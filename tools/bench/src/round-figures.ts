/**
 * Figures of alternating rounds: several setups measured in turn, round after round, each round's figures of a
 * setup kept apart, then summed up by their median over rounds (this machine's speed drifts within a minute, so a
 * setup is never measured in one block).
 */

/** The setups in the order a round takes them: as given in even rounds, reversed in odd ones (A B C, C B A, …). */
export function alternatingOrder<T>(setups: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...setups] : [...setups].reverse();
}

/** The median of some values (NaN for none; the mean of the two middle ones for an even count). */
export function medianOf(values: readonly number[]): number {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Each metric's median over the rounds that measured it (a round missing a metric, or NaN there, is left out). */
export function medianByMetric(rounds: readonly Record<string, number>[]): Record<string, number> {
  const names = [...new Set(rounds.flatMap((round) => Object.keys(round)))];
  return Object.fromEntries(names.map((name) => [name, medianOf(rounds.map((round) => round[name] ?? NaN))]));
}

/**
 * The median over rounds of a setup's figure divided by the baseline's figure of the same round: drift falls on both
 * sides of each ratio. Rounds where either is missing are left out.
 */
export function medianRatio(setup: readonly Record<string, number>[], baseline: readonly Record<string, number>[], metric: string): number {
  const ratios = setup.map((round, index) => (round[metric] ?? NaN) / (baseline[index]?.[metric] ?? NaN));
  return medianOf(ratios.filter((ratio) => Number.isFinite(ratio)));
}

/** A column of a figures table: the metric, its heading, and its decimals. */
export interface FigureColumn {
  metric: string;
  heading: string;
  digits: number;
}

/** A markdown table of setups (rows) by metrics (columns), each cell a median; a metric never measured shows `–`. */
export function figuresTable(setups: readonly { name: string; rounds: readonly Record<string, number>[] }[], columns: readonly FigureColumn[]): string {
  const header = `| setup | ${columns.map((column) => column.heading).join(' | ')} |`;
  const rule = `|---|${columns.map(() => '---:').join('|')}|`;
  const rows = setups.map(({ name, rounds }) => {
    const medians = medianByMetric(rounds);
    const cells = columns.map(({ metric, digits }) => {
      const value = medians[metric];
      return value === undefined || Number.isNaN(value) ? '–' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
    });
    return `| ${name} | ${cells.join(' | ')} |`;
  });
  return [header, rule, ...rows].join('\n');
}
