/**
 * Just enough of PromQL to lint dashboard queries: the metric names an expression reads, the
 * range each rate-like call uses, and the arguments of a call. Not a parser: promtool checks the
 * syntax in scripts/check-deploy.sh.
 */

export type TokenKind = 'ident' | 'number' | 'duration' | 'string' | 'variable' | 'punct';

export interface Token {
  kind: TokenKind;
  text: string;
}

const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'atan2', ...GROUPING]);
const OPERATORS = ['=~', '!~', '!=', '==', '<=', '>=', '=', '<', '>', '+', '-', '*', '/', '%', '^', '@', '(', ')', '{', '}', '[', ']', ',', ':'];

/** Functions whose range argument must be at least `$__rate_interval` (a shorter window loses samples). */
export const RATE_FUNCTIONS = new Set(['rate', 'irate', 'increase']);
export const AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio']);

const RE = {
  space: /\s+/y,
  comment: /#[^\n]*/y,
  string: /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/y,
  // Grafana variables: $name, ${name}, ${name:format}, [[name]].
  variable: /\$\{\w+(?::[^}]*)?\}|\$\w+|\[\[\w+\]\]/y,
  duration: /\d+(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*/y,
  number: /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|0x[0-9a-fA-F]+/y,
  ident: /[A-Za-z_:][\w:]*/y,
};

export class PromqlSyntaxError extends Error {}

export function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  const take = (re: RegExp): string | undefined => {
    re.lastIndex = pos;
    const m = re.exec(expr);
    if (!m) return undefined;
    pos = re.lastIndex;
    return m[0];
  };
  while (pos < expr.length) {
    if (take(RE.space) !== undefined || take(RE.comment) !== undefined) continue;
    let text: string | undefined;
    if ((text = take(RE.string)) !== undefined) tokens.push({ kind: 'string', text });
    else if ((text = take(RE.variable)) !== undefined) tokens.push({ kind: 'variable', text });
    else if ((text = take(RE.duration)) !== undefined) tokens.push({ kind: 'duration', text });
    else if ((text = take(RE.number)) !== undefined) tokens.push({ kind: 'number', text });
    else if ((text = take(RE.ident)) !== undefined) tokens.push({ kind: 'ident', text });
    else {
      const op = OPERATORS.find((o) => expr.startsWith(o, pos));
      if (!op) throw new PromqlSyntaxError(`unexpected ${JSON.stringify(expr[pos])} at ${pos}`);
      tokens.push({ kind: 'punct', text: op });
      pos += op.length;
    }
  }
  return tokens;
}

const OPEN: Record<string, string> = { '(': ')', '{': '}', '[': ']' };

/** The first delimiter problem ('unclosed (' or 'unexpected )'), if any. */
export function unbalanced(tokens: readonly Token[]): string | undefined {
  const stack: string[] = [];
  for (const t of tokens) {
    if (t.kind !== 'punct') continue;
    const close = OPEN[t.text];
    if (close) stack.push(close);
    else if (t.text === ')' || t.text === '}' || t.text === ']') {
      if (stack.pop() !== t.text) return `unexpected ${t.text}`;
    }
  }
  return stack.length ? `unclosed ${Object.keys(OPEN).find((k) => OPEN[k] === stack.at(-1))}` : undefined;
}

/** Index of the token closing the bracket opened at `open`. */
function closing(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const text = (tokens[i] as Token).text;
    if ((tokens[i] as Token).kind !== 'punct') continue;
    if (text in OPEN) depth++;
    else if (text === ')' || text === '}' || text === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return tokens.length - 1;
}

const isOpen = (t: Token | undefined, text: string): boolean => t?.kind === 'punct' && t.text === text;

/** Metric names read by the expression (series selectors), in order, with repeats. */
export function metricNames(tokens: readonly Token[]): string[] {
  const names: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind === 'punct' && (t.text === '{' || t.text === '[')) {
      i = closing(tokens, i); // label matchers, ranges
      continue;
    }
    if (t.kind !== 'ident') continue;
    const lower = t.text.toLowerCase();
    if (GROUPING.has(lower) && isOpen(tokens[i + 1], '(')) {
      i = closing(tokens, i + 1);
      continue;
    }
    if (lower === 'offset') {
      i += isOpen(tokens[i + 1], '-') ? 2 : 1;
      continue;
    }
    if (KEYWORDS.has(lower) || AGGREGATIONS.has(lower) || isOpen(tokens[i + 1], '(')) continue; // keywords, aggregations (`sum by (x) (...)`), functions
    if (isOpen(tokens[i - 1], '@')) continue; // @ start() / end()
    names.push(t.text);
  }
  return names;
}

export interface Call {
  fn: string;
  /** Tokens between the call's parentheses. */
  args: Token[];
  /** For rate-like calls: the text inside its range brackets (`$__rate_interval`, `5m`, `30d:5m`). */
  range?: string;
}

/** Every call of one of `functions`, nested ones included. */
export function calls(tokens: readonly Token[], functions: ReadonlySet<string>): Call[] {
  const found: Call[] = [];
  tokens.forEach((t, i) => {
    if (t.kind !== 'ident' || !functions.has(t.text) || !isOpen(tokens[i + 1], '(')) return;
    const end = closing(tokens, i + 1);
    const args = tokens.slice(i + 2, end);
    const call: Call = { fn: t.text, args };
    // The range belongs to the call's own argument: the first [...] not inside a nested (...).
    let depth = 0;
    for (let j = 0; j < args.length; j++) {
      const a = args[j] as Token;
      if (a.kind !== 'punct') continue;
      if (a.text === '(') depth++;
      else if (a.text === ')') depth--;
      else if (a.text === '[' && depth === 0) {
        call.range = args
          .slice(j + 1, closing(args, j))
          .map((r) => r.text)
          .join('');
        break;
      }
    }
    found.push(call);
  });
  return found;
}

/** The label lists of `by (...)` and `without (...)` clauses directly in these tokens. */
export function groupings(tokens: readonly Token[]): { kind: 'by' | 'without'; labels: string[] }[] {
  const found: { kind: 'by' | 'without'; labels: string[] }[] = [];
  tokens.forEach((t, i) => {
    const kind = t.text.toLowerCase();
    if (t.kind !== 'ident' || (kind !== 'by' && kind !== 'without') || !isOpen(tokens[i + 1], '(')) return;
    const labels = tokens
      .slice(i + 2, closing(tokens, i + 1))
      .filter((l) => l.kind === 'ident')
      .map((l) => l.text);
    found.push({ kind, labels });
  });
  return found;
}

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** Seconds in a PromQL duration such as `1h30m`; undefined if it is not one. */
export function durationSeconds(text: string): number | undefined {
  if (!/^(?:\d+(?:ms|[smhdwy]))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+)(ms|[smhdwy])/g)) total += Number(m[1]) * (UNITS[m[2] as string] as number);
  return total;
}
