/**
 * Plain-text formatting of the results: the results table and the goal verdicts.
 * @module
 */
import type { RowSummary } from './analysis';
import type { Group } from './cases';
import type { GoalResult } from './goals';

/** A column: its header, its alignment and how to print a row's cell. */
interface Column<Row> {
  readonly header: string;
  readonly align: 'left' | 'right';
  readonly cell: (row: Row) => string;
}

/**
 * Renders rows as an aligned text table with a header and a separator line.
 * @param columns - the columns, left to right
 * @param rows - one line each
 * @param separatorBefore - rows before which a blank separator line is printed (e.g. a new group)
 */
function renderTable<Row>(
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  separatorBefore: (row: Row, index: number) => boolean = () => false,
): string {
  const cells = rows.map((row) => columns.map((column) => column.cell(row)));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((line) => (line[i] ?? '').length)));
  const pad = (text: string, i: number): string => {
    const width = widths[i] ?? 0;
    return columns[i]?.align === 'right' ? text.padStart(width) : text.padEnd(width);
  };
  const lines = [columns.map((column, i) => pad(column.header, i)).join('  ')];
  lines.push(widths.map((width) => '-'.repeat(width)).join('  '));
  cells.forEach((line, index) => {
    const row = rows[index] as Row;
    if (index > 0 && separatorBefore(row, index)) lines.push('');
    lines.push(line.map((text, i) => pad(text, i)).join('  ').trimEnd());
  });
  return lines.join('\n');
}

/** Formats ns with precision that suits the magnitude: `42.3`, `812`, `12 345`. */
export function formatNs(ns: number): string {
  const abs = Math.abs(ns);
  if (abs < 100) return ns.toFixed(1);
  return Math.round(ns).toLocaleString('en-US').replace(/,/g, ' ');
}

/** Formats a ratio as `0.42×`, or `—` when there is none. */
export function formatRatio(value: number | undefined): string {
  if (value === undefined) return '—';
  return `${value < 10 ? value.toFixed(2) : value.toFixed(1)}×`;
}

/**
 * The results table: one line per row, groups separated by a blank line.
 * @param rows - summarised rows, in display order
 * @param groups - group metadata, for the labels
 */
export function formatResultsTable(rows: readonly RowSummary[], groups: readonly Group[]): string {
  const labels = new Map(groups.map((group) => [group.id, group.label]));
  const firstOfGroup = (row: RowSummary, index: number): boolean => index === 0 || rows[index - 1]?.group !== row.group;
  const columns: Column<RowSummary>[] = [
    {
      header: 'row',
      align: 'left',
      cell: (row) => (firstOfGroup(row, rows.indexOf(row)) ? (labels.get(row.group) ?? row.group) : ''),
    },
    { header: 'library', align: 'left', cell: (row) => row.library },
    { header: 'ns/op', align: 'right', cell: (row) => formatNs(row.meanNs) },
    { header: 'p50 ns', align: 'right', cell: (row) => formatNs(row.p50Ns) },
    { header: '±rme', align: 'right', cell: (row) => `${row.rmePct.toFixed(1)}%` },
    { header: 'run spread', align: 'right', cell: (row) => `${row.runSpreadPct.toFixed(1)}%` },
    { header: 'overhead ns', align: 'right', cell: (row) => (row.library === 'baseline' ? '—' : formatNs(row.overheadNs)) },
    { header: '× bare', align: 'right', cell: (row) => formatRatio(row.xBare) },
    {
      header: 'ovh ÷ best peer',
      align: 'right',
      cell: (row) => (row.library === 'baseline' ? '' : formatRatio(row.overheadVsBestPeer)),
    },
    {
      header: 'ovh ÷ cockatiel',
      align: 'right',
      cell: (row) => (row.library === 'baseline' || row.library === 'cockatiel' ? '' : formatRatio(row.overheadVsCockatiel)),
    },
    {
      header: 'time ÷ cockatiel',
      align: 'right',
      cell: (row) => (row.library === 'baseline' || row.library === 'cockatiel' ? '' : formatRatio(row.timeVsCockatiel)),
    },
  ];
  return renderTable(columns, rows, (row, index) => firstOfGroup(row, index));
}

/**
 * One line per group whose op makes several calls (its `callsPerOp`): what a row's unit is, and
 * each row's time per op (e.g. per batch of 1,000 concurrent calls), since the table shows ns per call.
 * @param rows - summarised rows, in display order
 * @param groups - group metadata
 * @returns the lines; none when no such group was measured
 */
export function formatPerOpNotes(rows: readonly RowSummary[], groups: readonly Group[]): string[] {
  const lines: string[] = [];
  for (const group of groups) {
    const perOp = group.callsPerOp ?? 1;
    const measured = rows.filter((row) => row.group === group.id);
    if (perOp <= 1 || measured.length === 0) continue;
    const count = perOp.toLocaleString('en-US');
    const times = measured.map((row) => `${row.library} ${formatNs(row.meanNs * perOp)} ns`).join(', ');
    lines.push(
      `${group.label}: each op fires ${count} calls at once and awaits them all; its ns/op, overhead and ratios are PER CALL ` +
        `(batch time ÷ ${count}). Per batch of ${count}: ${times}.`,
    );
  }
  return lines;
}

/**
 * One `PASS` / `MISS` line per goal, with the value of each run.
 * @param results - {@link evaluateGoals}'s output
 */
export function formatGoals(results: readonly GoalResult[]): string {
  const width = Math.max(...results.map((r) => r.text.length));
  return results
    .map((r) => {
      const runs = r.perRun.map((v) => (v === undefined ? '—' : v.toFixed(3))).join(', ');
      const value = r.value === undefined ? '—' : `${r.value.toFixed(3)}×`;
      const bound = r.strict === true ? `< ${r.max}×` : `max ${r.max}×`;
      return `${r.verdict.padEnd(4)}  ${r.text.padEnd(width)}  median ${value} (${bound}; runs: ${runs})`;
    })
    .join('\n');
}
