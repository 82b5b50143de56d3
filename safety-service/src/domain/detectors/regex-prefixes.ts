/**
 * Literal prefixes of a regular expression: a set of strings such that every match of the
 * expression starts with one of them. A text position where none of them starts cannot start a
 * match, so the expression need not run there. One pass over a text with a trie of every
 * pattern's prefixes then says where each pattern can possibly match (usually nowhere), instead
 * of each pattern scanning the whole text itself.
 *
 * The analysis only ever loosens a pattern (assertions and lookarounds match anything,
 * repetitions and long products stop the prefix where they start), so the set it returns is a
 * guarantee, never a guess. It understands the syntax the detectors use; anything else (a
 * backreference, `\c`) gives up, and the pattern then runs everywhere as before.
 */

/** Prefixes longer than this are cut: longer ones rarely rule out more positions. */
const MAX_PREFIX = 8;
/** Products larger than this stop growing; the prefixes found so far are kept. */
const MAX_ITEMS = 1024;
/** Classes larger than this are treated as any character. */
const MAX_CLASS = 16;

/**
 * What a (part of a) pattern can match: `exact` strings it matches in full, so what follows
 * extends them, and `starts`: strings its other matches start with.
 */
interface Cover {
  readonly exact: readonly string[];
  readonly starts: readonly string[];
}

const EMPTY: Cover = { exact: [''], starts: [] };
const ANY: Cover = { exact: [], starts: [''] };

class UnsupportedSyntax extends Error {}

/** A cover without duplicates, long strings cut to `MAX_PREFIX` (and then only a start). */
function cover(exact: Iterable<string>, starts: Iterable<string>): Cover {
  const e = new Set<string>();
  const s = new Set<string>();
  for (const x of starts) s.add(x.length > MAX_PREFIX ? x.slice(0, MAX_PREFIX) : x);
  for (const x of exact) {
    if (x.length >= MAX_PREFIX) s.add(x.slice(0, MAX_PREFIX));
    else e.add(x);
  }
  return { exact: [...e], starts: [...s] };
}

const union = (a: Cover, b: Cover): Cover => cover([...a.exact, ...b.exact], [...a.starts, ...b.starts]);
const loosen = (c: Cover): Cover => cover([], [...c.exact, ...c.starts]);

function concat(left: Cover, right: Cover): Cover {
  if (left.exact.length === 0) return left;
  // Nothing before (a sequence's start, `\b`): no product to bound, however large `right` is.
  if (left.starts.length === 0 && left.exact.length === 1 && left.exact[0] === '') return right;
  if (left.exact.length * (right.exact.length + right.starts.length) > MAX_ITEMS) return loosen(left);
  const exact: string[] = [];
  const starts = [...left.starts];
  for (const a of left.exact) {
    for (const b of right.exact) exact.push(a + b);
    for (const b of right.starts) starts.push(a + b);
  }
  return cover(exact, starts);
}

function repeat(c: Cover, min: number, max: number): Cover {
  const once = min <= 1 && max === 1 ? c : loosen(c);
  return min === 0 ? union(EMPTY, once) : once;
}

/** Covers of groups, by source: the detectors' patterns share large vocabularies (people, places, acts). */
const groupMemo = new Map<string, Cover>();
const MEMO_MIN_SOURCE = 64;

class Parser {
  private i = 0;
  /** For each `(`, the index of its `)`. */
  private readonly closes = new Map<number, number>();

  constructor(private readonly src: string) {
    const open: number[] = [];
    for (let k = 0; k < src.length; k++) {
      const ch = src[k];
      if (ch === '\\') k += 1;
      else if (ch === '[') {
        k += 1;
        while (k < src.length && src[k] !== ']') k += src[k] === '\\' ? 2 : 1;
      } else if (ch === '(') open.push(k);
      else if (ch === ')') {
        const from = open.pop();
        if (from !== undefined) this.closes.set(from, k);
      }
    }
  }

  parse(): Cover {
    const cover = this.alternation();
    if (this.i < this.src.length) throw new UnsupportedSyntax(`unbalanced ) at ${this.i}`);
    return cover;
  }

  private alternation(): Cover {
    let cover = this.sequence();
    while (this.src[this.i] === '|') {
      this.i += 1;
      cover = union(cover, this.sequence());
    }
    return cover;
  }

  private sequence(): Cover {
    let cover = EMPTY;
    while (this.i < this.src.length && this.src[this.i] !== '|' && this.src[this.i] !== ')') {
      const run = this.literalRun();
      const atom = run ? { exact: [run], starts: [] } : this.atom();
      cover = concat(cover, run ? atom : this.quantified(atom));
    }
    return cover;
  }

  /** Plain characters up to the next syntax character, less a last one that a quantifier applies to. */
  private literalRun(): string {
    const m = /^[^\\^$.|?*+()[\]{}]+/.exec(this.src.slice(this.i, this.i + 256));
    if (!m) return '';
    let run = m[0];
    if (/^[?*+{]/.test(this.src.slice(this.i + run.length))) run = run.slice(0, -1);
    // A surrogate pair stays whole: a quantifier after it applies to both halves.
    if (/[\ud800-\udbff]$/.test(run)) run = run.slice(0, -1);
    this.i += run.length;
    return run;
  }

  private quantified(atom: Cover): Cover {
    const ch = this.src[this.i];
    let min: number;
    let max: number;
    if (ch === '?' || ch === '*' || ch === '+') {
      min = ch === '+' ? 1 : 0;
      max = ch === '?' ? 1 : Infinity;
      this.i += 1;
    } else if (ch === '{') {
      const m = /^\{(\d+)(?:(,)(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) throw new UnsupportedSyntax(`lone { at ${this.i}`);
      min = Number(m[1]);
      max = m[2] ? (m[3] ? Number(m[3]) : Infinity) : min;
      this.i += m[0].length;
    } else {
      return atom;
    }
    if (this.src[this.i] === '?') this.i += 1;
    return repeat(atom, min, max);
  }

  private atom(): Cover {
    const ch = this.src[this.i] as string;
    if (ch === '(') return this.group();
    if (ch === '[') return this.characterClass();
    if (ch === '.') {
      this.i += 1;
      return ANY;
    }
    if (ch === '^' || ch === '$') {
      this.i += 1;
      return EMPTY;
    }
    if (ch === '\\') return this.escape();
    if (ch === '*' || ch === '+' || ch === '?' || ch === '{') throw new UnsupportedSyntax(`quantifier without an atom at ${this.i}`);
    const cp = this.src.codePointAt(this.i) as number;
    const literal = String.fromCodePoint(cp);
    this.i += literal.length;
    return { exact: [literal], starts: [] };
  }

  private group(): Cover {
    const close = this.closes.get(this.i);
    const key = close !== undefined && close - this.i >= MEMO_MIN_SOURCE ? this.src.slice(this.i, close + 1) : undefined;
    const known = key === undefined ? undefined : groupMemo.get(key);
    if (known && close !== undefined) {
      this.i = close + 1;
      return known;
    }
    const result = this.groupBody();
    if (key !== undefined) groupMemo.set(key, result);
    return result;
  }

  private groupBody(): Cover {
    this.i += 1;
    let lookaround = false;
    if (this.src[this.i] === '?') {
      const kind = /^\?(?:<[=!]|[=!]|:|<[A-Za-z_$][\w$]*>)/.exec(this.src.slice(this.i));
      if (!kind) throw new UnsupportedSyntax(`group kind at ${this.i}`);
      lookaround = /^\?<?[=!]$/.test(kind[0]);
      this.i += kind[0].length;
    }
    const inner = this.alternation();
    if (this.src[this.i] !== ')') throw new UnsupportedSyntax('unclosed group');
    this.i += 1;
    // A lookaround consumes nothing; dropping its condition only loosens the pattern.
    return lookaround ? EMPTY : inner;
  }

  private escape(): Cover {
    const next = this.src[this.i + 1];
    this.i += 2;
    switch (next) {
      case 'b':
      case 'B':
        return EMPTY;
      case 'w':
      case 'W':
      case 'd':
      case 'D':
      case 's':
      case 'S':
        return ANY;
      case 'p':
      case 'P':
        this.skipBraces();
        return ANY;
      case undefined:
        throw new UnsupportedSyntax('trailing backslash');
      default:
        return { exact: [this.escapedChar(next)], starts: [] };
    }
  }

  private skipBraces(): void {
    if (this.src[this.i] !== '{') throw new UnsupportedSyntax('\\p without braces');
    const close = this.src.indexOf('}', this.i);
    if (close < 0) throw new UnsupportedSyntax('unclosed \\p{');
    this.i = close + 1;
  }

  /** The character an escape (after its backslash and `next`, already consumed) stands for. */
  private escapedChar(next: string): string {
    const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', f: '\f', v: '\v', '0': '\0' };
    if (next in simple && !(next === '0' && /\d/.test(this.src[this.i] ?? ''))) return simple[next] as string;
    if (next === 'x' || next === 'u') {
      const m = next === 'x' ? /^[0-9a-fA-F]{2}/.exec(this.src.slice(this.i)) : /^(?:[0-9a-fA-F]{4}|\{[0-9a-fA-F]+\})/.exec(this.src.slice(this.i));
      if (!m) throw new UnsupportedSyntax(`\\${next} at ${this.i}`);
      this.i += m[0].length;
      return String.fromCodePoint(parseInt(m[0].replace(/[{}]/g, ''), 16));
    }
    // Backreferences, \c, \k: not used by the detectors, and not worth analysing.
    if (/[1-9ck]/.test(next)) throw new UnsupportedSyntax(`\\${next}`);
    // An identity escape of a syntax character: \. \- \/ \( ...
    if (/[A-Za-z]/.test(next)) throw new UnsupportedSyntax(`\\${next}`);
    return next;
  }

  private characterClass(): Cover {
    this.i += 1;
    const negated = this.src[this.i] === '^';
    if (negated) this.i += 1;
    const chars = new Set<number>();
    let any = false;
    while (this.i < this.src.length && this.src[this.i] !== ']') {
      const from = this.classAtom();
      if (from === undefined) {
        any = true;
        continue;
      }
      if (this.src[this.i] === '-' && this.src[this.i + 1] !== ']' && this.i + 1 < this.src.length) {
        this.i += 1;
        const to = this.classAtom();
        if (to === undefined) {
          any = true;
          continue;
        }
        if (to - from + 1 > MAX_CLASS) any = true;
        else for (let c = from; c <= to; c++) chars.add(c);
      } else {
        chars.add(from);
      }
    }
    if (this.src[this.i] !== ']') throw new UnsupportedSyntax('unclosed class');
    this.i += 1;
    if (negated || any || chars.size > MAX_CLASS || chars.size === 0) return ANY;
    return { exact: [...chars].map((c) => String.fromCodePoint(c)), starts: [] };
  }

  /** One class member as a code point, or undefined for a set (\w, \d, \p{..}). */
  private classAtom(): number | undefined {
    const ch = this.src[this.i] as string;
    if (ch !== '\\') {
      const cp = this.src.codePointAt(this.i) as number;
      this.i += cp > 0xffff ? 2 : 1;
      return cp;
    }
    const next = this.src[this.i + 1];
    this.i += 2;
    if (next === undefined) throw new UnsupportedSyntax('trailing backslash');
    if ('wWdDsS'.includes(next)) return undefined;
    if (next === 'p' || next === 'P') {
      this.skipBraces();
      return undefined;
    }
    if (next === 'b') return 8;
    if (next === '-') return 45;
    return (this.escapedChar(next).codePointAt(0) as number);
  }
}

/**
 * Strings one of which starts every match of `source` (compiled with the `u` flag and without
 * `i`), or undefined when a match can start anywhere or the syntax is beyond this analysis.
 */
export function literalPrefixes(source: string): string[] | undefined {
  let found: Cover;
  try {
    found = new Parser(source).parse();
  } catch (err) {
    if (err instanceof UnsupportedSyntax) return undefined;
    throw err;
  }
  const all = [...found.exact, ...found.starts];
  if (all.includes('')) return undefined;
  // A prefix that starts another makes the longer one redundant. Sorted, the strings that
  // start with `k` follow `k` directly, so comparing with the last one kept is enough.
  const sorted = [...new Set(all)].sort();
  const kept: string[] = [];
  for (const s of sorted) {
    const last = kept[kept.length - 1];
    if (last === undefined || !s.startsWith(last)) kept.push(s);
  }
  return kept;
}

interface TrieNode {
  next: Map<number, TrieNode>;
  /** Ids of the patterns one of whose prefixes ends here. */
  ids: number[];
}

/** The trie as flat tables: node `n`'s child for alphabet column `c` is `next[n * width + c]` (0: none). */
interface FrozenTrie {
  /** Column of an ASCII character in the alphabet, -1 when no prefix uses it. */
  ascii: Int8Array;
  /** Columns of the other characters the prefixes use. */
  other: Map<number, number>;
  width: number;
  next: Uint32Array;
  ids: (readonly number[] | undefined)[];
}

/** Prefixes of many patterns in one trie: which patterns can start at a position, in one walk. */
export class PrefixTrie {
  private readonly root: TrieNode = { next: new Map(), ids: [] };
  private frozen: FrozenTrie | undefined;

  add(prefixes: readonly string[], id: number): void {
    for (const prefix of prefixes) {
      let node = this.root;
      for (let k = 0; k < prefix.length; k++) {
        const c = prefix.charCodeAt(k);
        let child = node.next.get(c);
        if (!child) {
          child = { next: new Map(), ids: [] };
          node.next.set(c, child);
        }
        node = child;
      }
      if (!node.ids.includes(id)) node.ids.push(id);
    }
    this.frozen = undefined;
  }

  /** Calls `found(id)` for every pattern with a prefix that `text` has at `at` (an id may repeat). */
  walk(text: string, at: number, found: (id: number) => void): void {
    const { ascii, other, width, next, ids } = this.frozen ?? this.freeze();
    let node = 0;
    for (let k = at; k < text.length; k++) {
      const c = text.charCodeAt(k);
      const column = c < 128 ? (ascii[c] as number) : (other.get(c) ?? -1);
      if (column < 0) return;
      node = next[node * width + column] as number;
      if (node === 0) return;
      const here = ids[node];
      if (here) for (const id of here) found(id);
    }
  }

  /** Map lookups per character were most of a text's scan; flat tables are several times faster. */
  private freeze(): FrozenTrie {
    const nodes: TrieNode[] = [this.root];
    const columns = new Map<number, number>();
    for (let n = 0; n < nodes.length; n++) {
      for (const [c, child] of (nodes[n] as TrieNode).next) {
        if (!columns.has(c)) columns.set(c, columns.size);
        nodes.push(child);
      }
    }
    const width = Math.max(1, columns.size);
    const ascii = new Int8Array(128).fill(-1);
    const other = new Map<number, number>();
    for (const [c, column] of columns) {
      if (c < 128) ascii[c] = column;
      else other.set(c, column);
    }
    const index = new Map(nodes.map((node, n) => [node, n]));
    const next = new Uint32Array(nodes.length * width);
    const ids = nodes.map((node) => (node.ids.length ? [...node.ids] : undefined));
    nodes.forEach((node, n) => {
      for (const [c, child] of node.next) next[n * width + (columns.get(c) as number)] = index.get(child) as number;
    });
    this.frozen = { ascii, other, width, next, ids };
    return this.frozen;
  }
}

/** Word characters as `\b` sees them (the `u` flag without `i` keeps ASCII `\w`). */
const isWordChar = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f;

/**
 * Global regexes that all start with `\b`, matched as `text.matchAll(pattern)` would, but only
 * tried where one of their literal prefixes starts at a word boundary: one trie walk per
 * boundary for all of them, then a sticky copy at those positions. A pattern without
 * literal prefixes scans the whole text as before.
 */
export class WordStartPatterns {
  private readonly trie = new PrefixTrie();
  private readonly patterns: { global: RegExp; sticky: RegExp | undefined }[] = [];
  private cache: { text: string; starts: number[][] } | undefined;

  /** `source` must start with `\b`; returns the id to pass to `matches`. */
  add(source: string, flags: string): number {
    if (!source.startsWith('\\b')) throw new Error('WordStartPatterns: a pattern must start with \\b');
    const id = this.patterns.length;
    const prefixes = literalPrefixes(source);
    if (prefixes) this.trie.add(prefixes, id);
    this.patterns.push({ global: new RegExp(source, `${flags}g`), sticky: prefixes ? new RegExp(source, `${flags}y`) : undefined });
    this.cache = undefined;
    return id;
  }

  /** The spans `text.matchAll` of pattern `id` lists, in order. */
  matches(id: number, text: string): { start: number; end: number }[] {
    const pattern = this.patterns[id];
    if (!pattern) throw new Error(`WordStartPatterns: no pattern ${id}`);
    const found: { start: number; end: number }[] = [];
    const { sticky } = pattern;
    if (!sticky) {
      for (const m of text.matchAll(pattern.global)) found.push({ start: m.index, end: m.index + m[0].length });
      return found;
    }
    // A global scan tries each position in turn from the end of the last match; the positions
    // skipped here are those where no match can start, and no match is empty (it has a prefix).
    let cursor = 0;
    for (const at of this.starts(text)[id] as number[]) {
      if (at < cursor) continue;
      sticky.lastIndex = at;
      if (sticky.test(text)) {
        found.push({ start: at, end: sticky.lastIndex });
        cursor = sticky.lastIndex;
      }
    }
    return found;
  }

  /** Per pattern, the ascending word-boundary positions of `text` where one of its prefixes starts; kept for the last text. */
  private starts(text: string): number[][] {
    if (this.cache?.text !== text) {
      const starts: number[][] = this.patterns.map(() => []);
      let at = 0;
      const found = (id: number): void => {
        const list = starts[id] as number[];
        if (list[list.length - 1] !== at) list.push(at);
      };
      let wordBefore = false;
      for (; at < text.length; at++) {
        const word = isWordChar(text.charCodeAt(at));
        if (word !== wordBefore) this.trie.walk(text, at, found);
        wordBefore = word;
      }
      this.cache = { text, starts };
    }
    return this.cache.starts;
  }
}
