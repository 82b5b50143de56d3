// The widget's budget (issue 6): the script a host page loads, dist/widget.js, at most 80 KB
// gzipped. The chat panel and highlight.js are chunks in dist/widget/ that the entry imports
// lazily (vite.widget.config.ts); this test reports all three and checks they stay split.
// Reads the build `npm test` makes first (`npm run build -w @parley/web` on its own).
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../../web/dist', import.meta.url));
const BUDGET_BYTES = 80 * 1024;

/** Strings only the panel chunk has: a ChatPanel CSS class, a key of the chat messages, an API path. */
const PANEL_MARKERS = ['composer-counter', 'counterLabel', '/api/v1/'];
/** Only highlight.js has this API. */
const HIGHLIGHT_MARKER = 'registerLanguage';
const COMPILER_MARKER = '__msg__';

interface Script {
  name: string;
  code: string;
  gzipped: number;
}

async function script(path: string): Promise<Script> {
  const code = await readFile(`${dist}/${path}`, 'utf8');
  return { name: path, code, gzipped: gzipSync(code, { level: 9 }).length };
}

/** What a script imports dynamically (`import("./x.js")`), as written. */
function dynamicImports(from: Script): string[] {
  return [...from.code.matchAll(/\bimport\(\s*[`'"]([^`'"]+)[`'"]\s*\)/g)].map((m) => m[1] as string);
}

/** Its static imports (`import ... from "x"` and bare `import "x"`), as written. */
function staticImports(from: Script): string[] {
  return [...from.code.matchAll(/(?:^|[;}\s])import\s*(?:[\w*{}\s,$]+from\s*)?[`'"]([^`'"]+)[`'"]/g)].map((m) => m[1] as string);
}

/** A specifier as a path under dist/, resolved against the importing script's own path (as the browser does with its URL). */
function distPath(from: Script, specifier: string): string {
  return new URL(specifier, new URL(from.name, 'file:///dist/')).pathname.replace('/dist/', '');
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

let entry: Script;
let panel: Script;
let highlight: Script;

beforeAll(async () => {
  entry = await script('widget.js');
  const panelPaths = dynamicImports(entry).map((s) => distPath(entry, s));
  expect(panelPaths, 'the entry imports the panel lazily, and nothing else').toEqual([expect.stringMatching(/^widget\/panel-[\w-]+\.js$/)]);
  panel = await script(panelPaths[0] as string);
  const highlightPaths = dynamicImports(panel).map((s) => distPath(panel, s));
  expect(highlightPaths, 'the panel imports highlight.js lazily').toEqual([expect.stringMatching(/^widget\/highlight-[\w-]+\.js$/)]);
  highlight = await script(highlightPaths[0] as string);
});

describe('the built widget', () => {
  it('loads at most 80 KB gzipped before the visitor opens it, and reports every part', async ({ annotate }) => {
    const chunks = (await readdir(`${dist}/widget`)).filter((f) => f.endsWith('.js'));
    const all = [entry, ...(await Promise.all(chunks.map((f) => script(`widget/${f}`))))];
    const total = all.reduce((sum, s) => sum + s.gzipped, 0);
    const report = [
      `entry dist/widget.js: ${kb(entry.gzipped)} gzipped (budget ${kb(BUDGET_BYTES)})`,
      `panel chunk dist/${panel.name}: ${kb(panel.gzipped)} gzipped`,
      `highlight chunk dist/${highlight.name}: ${kb(highlight.gzipped)} gzipped`,
      `total (${all.length} files): ${kb(total)} gzipped`,
    ].join('\n');
    console.info(report);
    await annotate(report);
    expect(entry.gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
  });

  it('keeps the panel and highlight.js out of the entry: nothing imported statically, no panel code inlined', () => {
    expect(staticImports(entry)).toEqual([]);
    // The markers are real: the panel chunk has each of them, the entry none.
    for (const marker of PANEL_MARKERS) {
      expect(panel.code, `panel chunk has ${marker}`).toContain(marker);
      expect(entry.code, `entry has ${marker}`).not.toContain(marker);
    }
    expect(highlight.code).toContain(HIGHLIGHT_MARKER);
    expect(entry.code).not.toContain(HIGHLIGHT_MARKER);
    expect(panel.code).not.toContain(HIGHLIGHT_MARKER);
    // Chunks import the entry and each other by relative URLs, so they load from wherever widget.js came from.
    for (const chunk of [panel, highlight]) {
      const targets = [...staticImports(chunk), ...dynamicImports(chunk)];
      expect(targets.length, chunk.name).toBeGreaterThan(0);
      for (const target of targets) expect(target, `${chunk.name} imports ${target}`).toMatch(/^\.\.?\//);
    }
  });

  it('ships no stylesheet and no Vite preload helper: styles live in the shadow root, the host page’s <head> is left alone', async () => {
    for (const s of [entry, panel, highlight]) {
      expect(s.code, s.name).not.toContain('modulepreload');
      expect(s.code, s.name).not.toContain('vite:preloadError');
    }
    expect((await readdir(`${dist}/widget`)).filter((f) => !f.endsWith('.js'))).toEqual([]);
  });

  it('uses the production builds: no Vue warnings, and vue-i18n without its message compiler', async () => {
    for (const s of [entry, panel]) {
      expect(s.code, s.name).not.toContain('[Vue warn]');
      expect(s.code, s.name).not.toContain('process.env');
    }
    // The message compiler's code generator names its functions __msg__. The standalone page
    // compiles at runtime and has it; the widget's messages are ASTs compiled at build time.
    const page = (await readdir(`${dist}/assets`)).find((f) => /^main-[\w-]+\.js$/.test(f));
    expect(await readFile(`${dist}/assets/${page}`, 'utf8')).toContain(COMPILER_MARKER);
    for (const s of [entry, panel]) expect(s.code, s.name).not.toContain(COMPILER_MARKER);
    expect(entry.code).toMatch(/\bs:\s*[`'"]Open chat[`'"]/);
    expect(panel.code).toMatch(/\bk:\s*[`'"]max[`'"]/);
  });
});
