/**
 * Text views that detectors match on, each able to map a span back to the submitted text.
 *
 * - `canonical`: NFKC with invisible characters (zero-width, bidi controls, other default-ignorable
 *   code points) removed; case and spacing kept. Values (emails, keys, card numbers) are matched here,
 *   so full-width digits or a zero-width space inside a key do not hide it.
 * - `folded`: `canonical`, then case-folded, diacritics removed, quotes and dashes unified and
 *   whitespace runs collapsed to one space. Phrases (prompt injection) are matched here.
 */
export interface TextView {
  readonly text: string;
  /** The span of the submitted text that produced `[start, end)` of this view (UTF-16, end exclusive). */
  toOriginal(start: number, end: number): { start: number; end: number };
}

export type ViewName = 'canonical' | 'folded';

const INVISIBLE = /^\p{Default_Ignorable_Code_Point}$/u;
const MARK = /^\p{M}$/u;
const NONSPACING_MARK = /\p{Mn}/gu;
const SPACE = /^\s$/u;
// eslint-disable-next-line no-control-regex -- "plain ASCII" includes the control characters.
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/** Typographic look-alikes folded to ASCII, so "don’t" and "don't" match the same pattern. */
const FOLD_PUNCTUATION: Readonly<Record<string, string>> = {
  '\u2018': "'", '\u2019': "'", '\u201a': "'", '\u201b': "'", '\u2032': "'", '\u02bc': "'",
  '\u201c': '"', '\u201d': '"', '\u201e': '"', '\u201f': '"', '\u2033': '"',
  '\u2010': '-', '\u2011': '-', '\u2012': '-', '\u2013': '-', '\u2014': '-', '\u2015': '-', '\u2212': '-',
  '\u00df': 'ss',
};
const FOLD_PUNCTUATION_RE = new RegExp(`[${Object.keys(FOLD_PUNCTUATION).join('')}]`, 'gu');

/** The submitted text itself. */
export function identityView(text: string): TextView {
  return { text, toOriginal: (start, end) => ({ start, end }) };
}

/** A view built unit by unit: `starts[i]`/`ends[i]` is the source span of output unit `i`. */
class MappedView implements TextView {
  constructor(
    readonly text: string,
    private readonly starts: Uint32Array,
    private readonly ends: Uint32Array,
    private readonly originalLength: number,
  ) {}

  // An arrow property, so `const { toOriginal } = view` keeps working.
  readonly toOriginal = (start: number, end: number): { start: number; end: number } => {
    if (start >= this.text.length) return { start: this.originalLength, end: this.originalLength };
    const from = this.starts[start] ?? this.originalLength;
    if (end <= start) return { start: from, end: from };
    return { start: from, end: this.ends[Math.min(end, this.text.length) - 1] ?? this.originalLength };
  };
}

/** Per-code-point facts and single-code-point results, memoised: natural text repeats its letters. */
const enum Kind {
  Plain = 0,
  Invisible = 1,
  Mark = 2,
  Space = 3,
}
const MEMO_LIMIT = 8192;
const kinds = new Map<number, Kind>();
const folds = new Map<string, string>();
const canonicals = new Map<string, string>();

function kindOf(cp: number): Kind {
  let kind = kinds.get(cp);
  if (kind === undefined) {
    const ch = String.fromCodePoint(cp);
    kind = INVISIBLE.test(ch) ? Kind.Invisible : MARK.test(ch) ? Kind.Mark : SPACE.test(ch) ? Kind.Space : Kind.Plain;
    if (kinds.size >= MEMO_LIMIT) kinds.clear();
    kinds.set(cp, kind);
  }
  return kind;
}

function memo(cache: Map<string, string>, key: string, compute: (key: string) => string): string {
  let value = cache.get(key);
  if (value === undefined) {
    value = compute(key);
    if (cache.size >= MEMO_LIMIT) cache.clear();
    cache.set(key, value);
  }
  return value;
}

const nfkc = (cluster: string): string => cluster.normalize('NFKC');

function foldCluster(cluster: string): string {
  const folded = cluster.normalize('NFKC').toLowerCase().normalize('NFD').replace(NONSPACING_MARK, '');
  return folded.replace(FOLD_PUNCTUATION_RE, (ch) => FOLD_PUNCTUATION[ch] ?? ch);
}

/**
 * Walks `text` in clusters (a code point and the combining marks after it, so NFKC can compose
 * them) and records, for every UTF-16 unit it emits, the source span it came from. The output
 * is written as code units into a typed array and made a string once at the end: appending
 * each unit to a string through a closure took most of the time for non-ASCII text.
 */
function buildView(text: string, fold: boolean): TextView {
  const n = text.length;
  // NFKC can expand a cluster (e.g. U+FDFA to 18 units); grow on demand. Invariant: capacity >= len + (n - i).
  let capacity = n + 16;
  let units = new Uint16Array(capacity);
  let starts = new Uint32Array(capacity);
  let ends = new Uint32Array(capacity);
  let len = 0;
  let lastWasSpace = false;

  let i = 0;
  while (i < n) {
    const code = text.charCodeAt(i);
    // ASCII fast path: no marks can follow, nothing to compose.
    if (code < 0x80 && (i + 1 >= n || text.charCodeAt(i + 1) < 0x300)) {
      if (fold && (code === 0x20 || (code >= 0x09 && code <= 0x0d))) {
        if (lastWasSpace) ends[len - 1] = i + 1;
        else {
          units[len] = 0x20;
          starts[len] = i;
          ends[len] = i + 1;
          len += 1;
        }
        lastWasSpace = true;
      } else {
        units[len] = fold && code >= 0x41 && code <= 0x5a ? code + 32 : code;
        starts[len] = i;
        ends[len] = i + 1;
        len += 1;
        lastWasSpace = false;
      }
      i += 1;
      continue;
    }

    const cp = text.codePointAt(i) as number;
    const kind = kindOf(cp);
    let j = i + (cp > 0xffff ? 2 : 1);
    if (kind === Kind.Invisible) {
      i = j;
      continue;
    }
    while (j < n) {
      const next = text.codePointAt(j) as number;
      if (kindOf(next) !== Kind.Mark) break;
      j += next > 0xffff ? 2 : 1;
    }
    if (fold && kind === Kind.Space) {
      if (lastWasSpace) ends[len - 1] = j;
      else {
        units[len] = 0x20;
        starts[len] = i;
        ends[len] = j;
        len += 1;
      }
      lastWasSpace = true;
    } else {
      const cluster = text.slice(i, j);
      const piece = fold ? memo(folds, cluster, foldCluster) : memo(canonicals, cluster, nfkc);
      if (piece.length > 0) {
        // Room for the piece and one unit per input unit left, so the ASCII path never checks.
        // (Inline, not a closure: variables a closure assigns live on the heap, slowing every access.)
        if (len + piece.length + (n - j) > capacity) {
          capacity = Math.max(capacity * 2, len + piece.length + (n - j));
          const u = new Uint16Array(capacity);
          const s = new Uint32Array(capacity);
          const e = new Uint32Array(capacity);
          u.set(units);
          s.set(starts);
          e.set(ends);
          units = u;
          starts = s;
          ends = e;
        }
        for (let k = 0; k < piece.length; k += 1) {
          units[len] = piece.charCodeAt(k);
          starts[len] = i;
          ends[len] = j;
          len += 1;
        }
        lastWasSpace = false;
      }
    }
    i = j;
  }
  return new MappedView(unitsToString(units, len), starts, ends, n);
}

/** `ucs2` is little-endian; typed arrays use the platform's byte order. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fromCharCodes(units: Uint16Array): string {
  let out = '';
  for (let at = 0; at < units.length; at += 4096) out += String.fromCharCode(...units.subarray(at, at + 4096));
  return out;
}

/**
 * The first `len` code units as a string, lone surrogates kept. Made one-byte (Latin-1) when every
 * unit fits, as string concatenation would make it: the regexes run markedly slower on two-byte strings.
 */
function unitsToString(units: Uint16Array, len: number): string {
  const used = units.subarray(0, len);
  let wide = false;
  for (let k = 0; k < len; k++) {
    if ((used[k] as number) > 0xff) {
      wide = true;
      break;
    }
  }
  if (wide) return LITTLE_ENDIAN ? Buffer.from(used.buffer, used.byteOffset, len * 2).toString('ucs2') : fromCharCodes(used);
  return Buffer.from(Uint8Array.from(used)).toString('latin1');
}

/**
 * Whether `buildView(text, false)` would be `text` itself: no code point outside ASCII is
 * invisible or a mark (so each is a cluster of its own) and NFKC leaves each as it is. Text in
 * German or French usually passes; then no mapping is built.
 */
function canonicalAsIs(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) < 0x80) continue;
    const cp = text.codePointAt(i) as number;
    const kind = kindOf(cp);
    if (kind === Kind.Invisible || kind === Kind.Mark) return false;
    const ch = String.fromCodePoint(cp);
    if (memo(canonicals, ch, nfkc) !== ch) return false;
    if (cp > 0xffff) i += 1;
  }
  return true;
}

/** NFKC without invisible characters; the submitted text itself when that changes nothing. */
export function canonicalView(text: string): TextView {
  return ASCII_ONLY.test(text) || canonicalAsIs(text) ? identityView(text) : buildView(text, false);
}

/**
 * ASCII whitespace as the fold sees it (space, tab, line feed, vertical tab, form feed, carriage
 * return) that the fold changes: a run of two or more, or one that is not a space.
 */
const ASCII_SPACE_TO_FOLD = /[\t-\r ]{2,}|[\t-\r]/g;
const ASCII_SPACE_RUNS_TO_COLLAPSE = /[\t-\r ]{2,}/g;

/**
 * The folded view of plain ASCII text, as `buildView` makes it (upper case lowered, each run of
 * whitespace one space) but with native string operations, and the mapping back worked out only
 * when a detector reports a span: from the runs of two or more whitespace characters, the only
 * places where the view is shorter than the text. Building the per-unit mapping took as long as
 * all the detectors matching on this view together.
 */
class AsciiFoldedView implements TextView {
  readonly text: string;
  /** Per collapsed run: its position in the view, its span in the text; found on first use. */
  private runs: { at: number[]; from: number[]; to: number[] } | undefined;

  constructor(private readonly original: string) {
    this.text = original.toLowerCase().replace(ASCII_SPACE_TO_FOLD, ' ');
  }

  readonly toOriginal = (start: number, end: number): { start: number; end: number } => {
    const n = this.original.length;
    if (start >= this.text.length) return { start: n, end: n };
    const from = this.unit(start).start;
    if (end <= start) return { start: from, end: from };
    return { start: from, end: this.unit(Math.min(end, this.text.length) - 1).end };
  };

  /** The span of the text that view unit `k` came from. */
  private unit(k: number): { start: number; end: number } {
    const runs = (this.runs ??= this.findRuns());
    // The last run at or before `k`.
    let lo = 0;
    let hi = runs.at.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((runs.at[mid] as number) <= k) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return { start: k, end: k + 1 };
    const at = runs.at[found] as number;
    const runTo = runs.to[found] as number;
    if (at === k) return { start: runs.from[found] as number, end: runTo };
    const source = runTo + (k - at - 1);
    return { start: source, end: source + 1 };
  }

  private findRuns(): { at: number[]; from: number[]; to: number[] } {
    const runs = { at: [] as number[], from: [] as number[], to: [] as number[] };
    let shrunk = 0;
    for (const m of this.original.matchAll(ASCII_SPACE_RUNS_TO_COLLAPSE)) {
      runs.at.push(m.index - shrunk);
      runs.from.push(m.index);
      runs.to.push(m.index + m[0].length);
      shrunk += m[0].length - 1;
    }
    return runs;
  }
}

/** The view phrase detectors match on (see the module comment). */
export function foldedView(text: string): TextView {
  return ASCII_ONLY.test(text) ? new AsciiFoldedView(text) : buildView(text, true);
}

/** Computes each view at most once per request, and only if a detector asks for it. */
export function createViews(text: string): (name: ViewName) => TextView {
  const cache = new Map<ViewName, TextView>();
  return (name) => {
    let view = cache.get(name);
    if (!view) {
      view = name === 'canonical' ? canonicalView(text) : foldedView(text);
      cache.set(name, view);
    }
    return view;
  };
}
