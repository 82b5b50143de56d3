// Instruments a page (before any of its scripts run) to time how long streamed text takes
// from reaching the page's JavaScript to being painted, and to record layout shifts.
// Install with `page.addInitScript(paintProbe)`; read with `page.evaluate(() => window.__parleyProbe)`.
//
// Per streamed turn (`POST /api/v1/chat` answered with text/event-stream):
// - arrival: the response body is piped through a TransformStream that stamps
//   `performance.now()` on every network chunk as the page's reader receives it, and parses
//   its SSE `event: delta` / `data: {"text":...}` events (an event split across chunks counts
//   for the chunk that completes it: that is when the page can render it);
// - DOM: a MutationObserver finds the first moment the turn's assistant message
//   (`article.message[data-role="assistant"]`, the turn's own, by index) shows all the text
//   received up to that chunk (whitespace collapsed; the reply must be plain prose);
// - paint: the end of the rendering update (style, layout, paint) of the frame that contains
//   that DOM change, stamped by a task posted after it. A change made inside a
//   requestAnimationFrame callback (the markdown renderer patches the DOM in one while a reply
//   streams) is painted at the end of that same frame: the probe wraps requestAnimationFrame
//   to know, and posts the task from there. A change made in an ordinary task (the first
//   token: the message mounts and renders at once) is painted in the next frame: the probe
//   posts the task from a rAF callback of that frame. Other tasks may run before the posted
//   one, so the paint time can only be late, never early. (A double rAF, often used for this,
//   adds a whole frame when the change is made inside a rAF callback.)
//
// The reply's end: `doneAt`, when its article's data-state leaves `streaming` (the DOM change).
//
// Layout shifts: a buffered PerformanceObserver for `layout-shift` keeps every entry with its
// time, value, hadRecentInput and the shifted nodes (a short CSS-like path and both rects).
// It runs in the browser, not in Node.js:
/* global window, document, location, MutationObserver */
export function paintProbe() {
  const probe = { turns: [], shifts: [], errors: [] };
  Object.defineProperty(window, '__parleyProbe', { value: probe });

  const describe = (node) => {
    if (!node || node.nodeType !== 1) return node ? `#${node.nodeName.toLowerCase()} in ${describe(node.parentElement)}` : '(gone)';
    const parts = [];
    for (let el = node; el && el.nodeType === 1 && parts.length < 4; el = el.parentElement) {
      const cls = [...el.classList].slice(0, 2).map((c) => `.${c}`).join('');
      parts.unshift(`${el.localName}${el.id ? `#${el.id}` : ''}${cls}`);
    }
    return parts.join(' > ');
  };
  const rect = (r) => `${Math.round(r.x)},${Math.round(r.y)} ${Math.round(r.width)}x${Math.round(r.height)}`;
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        probe.shifts.push({
          startTime: e.startTime,
          value: e.value,
          hadRecentInput: e.hadRecentInput,
          sources: (e.sources ?? []).map((s) => `${describe(s.node)} ${rect(s.previousRect)} -> ${rect(s.currentRect)}`),
        });
      }
    }).observe({ type: 'layout-shift', buffered: true });
  } catch (err) {
    probe.errors.push(`layout-shift observer: ${err}`);
  }

  // True while a page rAF callback and the microtasks it queued (the MutationObserver's
  // delivery among them) run: a DOM change seen then is painted at the end of this frame.
  let inFrameCallback = false;
  const pageRaf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = function requestAnimationFrame(callback) {
    return pageRaf((time) => {
      inFrameCallback = true;
      try {
        callback(time);
      } finally {
        queueMicrotask(() => {
          inFrameCallback = false;
        });
      }
    });
  };
  const channel = new MessageChannel();
  const waiting = [];
  channel.port1.onmessage = () => waiting.shift()?.(performance.now());
  const afterThisFrame = (fn) => {
    waiting.push(fn);
    channel.port2.postMessage(0);
  };
  /** Calls `fn(paintedAt)` once the DOM as it is now has been painted. */
  const whenPainted = (fn) => {
    if (inFrameCallback) afterThisFrame(fn);
    else pageRaf(() => afterThisFrame(fn));
  };

  const normalize = (s) => s.replace(/\s+/g, ' ').trim();
  const check = () => {
    const articles = document.querySelectorAll('article.message[data-role="assistant"]');
    const now = performance.now();
    for (const turn of probe.turns) {
      const article = articles[turn.index];
      if (!article) continue;
      if (turn.doneAt === null && article.getAttribute('data-state') !== 'streaming') turn.doneAt = now;
      if (turn.pending >= turn.chunks.length) continue;
      const shown = normalize(article.querySelector('.message-content')?.textContent ?? '');
      const matched = [];
      while (turn.pending < turn.chunks.length && shown.startsWith(turn.chunks[turn.pending].upTo)) {
        const chunk = turn.chunks[turn.pending++];
        chunk.domAt = now;
        matched.push(chunk);
      }
      if (matched.length > 0) {
        whenPainted((paintedAt) => {
          for (const chunk of matched) chunk.paintedAt = paintedAt;
        });
      }
    }
  };
  const observer = new MutationObserver(check);
  const observe = () => observer.observe(document.documentElement, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-state'] });
  if (document.documentElement) observe();
  else document.addEventListener('readystatechange', observe, { once: true });

  const pageFetch = window.fetch;
  window.fetch = async function fetch(input, init) {
    const requestedAt = performance.now();
    const res = await pageFetch.call(window, input, init);
    const url = new URL(input instanceof Request ? input.url : String(input), location.href);
    if (url.pathname !== '/api/v1/chat' || !res.ok || !res.body || !(res.headers.get('content-type') ?? '').includes('text/event-stream')) return res;
    const turn = { index: probe.turns.length, requestedAt, startedAt: performance.now(), chunks: [], text: '', events: 0, pending: 0, ended: false, endedAt: null, doneAt: null };
    probe.turns.push(turn);
    const decoder = new TextDecoder();
    let buffer = '';
    const transform = new TransformStream({
      transform(bytes, controller) {
        const arrivedAt = performance.now();
        buffer += decoder.decode(bytes, { stream: true });
        const blocks = buffer.split(/\r?\n\r?\n/);
        buffer = blocks.pop() ?? '';
        const texts = [];
        for (const block of blocks) {
          const lines = block.split(/\r?\n/);
          const event = lines.find((l) => l.startsWith('event:'))?.slice(6).trim();
          turn.events++;
          if (event !== 'delta') continue;
          const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
          try {
            texts.push(JSON.parse(data).text);
          } catch (err) {
            probe.errors.push(`unparsable delta: ${String(err)}`);
          }
        }
        const before = normalize(turn.text);
        turn.text += texts.join('');
        // Only chunks that add visible text: a whitespace-only delta is "shown" before it arrives.
        const upTo = normalize(turn.text);
        if (upTo.length > before.length) turn.chunks.push({ arrivedAt, deltas: texts.length, upTo, domAt: null, paintedAt: null });
        controller.enqueue(bytes);
      },
      flush() {
        turn.ended = true;
        turn.endedAt = performance.now();
      },
    });
    return new Response(res.body.pipeThrough(transform), { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}
