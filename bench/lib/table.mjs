const COLUMNS = [
  { key: 'section', title: 'section' },
  { key: 'request', title: 'request' },
  { key: 'target', title: 'target' },
  { key: 'p50_ms', title: 'p50 ms', num: 2 },
  { key: 'p95_ms', title: 'p95 ms', num: 2 },
  { key: 'p99_ms', title: 'p99 ms', num: 2 },
  { key: 'added_p50_ms', title: '+p50 ms', num: 2, signed: true },
  { key: 'added_p95_ms', title: '+p95 ms', num: 2, signed: true },
  { key: 'added_p99_ms', title: '+p99 ms', num: 2, signed: true },
  { key: 'max_rps', title: 'max req/s', num: 0 },
  { key: 'ratio_vs_bare_proxy', title: 'ratio', num: 2 },
  { key: 'mb_per_stream', title: 'MB/stream', num: 3 },
  { key: 'mb_per_s', title: 'MB/s', num: 1 },
  { key: 'verdict_label', title: 'verdict' },
  { key: 'note', title: 'note' },
];

function cell(column, value) {
  if (value === undefined || value === null) return '';
  if (column.num === undefined) return String(value);
  const text = Number(value).toFixed(column.num);
  return column.signed && value >= 0 ? `+${text}` : text;
}

/**
 * One Markdown table for every section's rows (pasteable into an issue). Columns no row
 * fills are left out, so later sections can add their own keys to COLUMNS.
 */
export function renderTable(rows) {
  const columns = COLUMNS.filter((c) => rows.some((r) => r[c.key] !== undefined && r[c.key] !== null));
  const cells = rows.map((r) => columns.map((c) => cell(c, r[c.key])));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i].length)));
  const line = (values) => `| ${values.map((v, i) => (columns[i].num === undefined ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (columns[i].num === undefined ? `-${'-'.repeat(w)}-` : `-${'-'.repeat(w)}:`)).join('|')}|`;
  return [line(columns.map((c) => c.title)), rule, ...cells.map(line)].join('\n');
}
