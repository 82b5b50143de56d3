import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import { createParleyI18n, type Language } from '../i18n';
import { createHighlighter } from '../markdown/highlight';
import { MESSAGE_RENDERING, type MessageRendering } from '../markdown/index';
import type { RequestFrame } from '../markdown/frame';
import { createMarkdownRenderer } from '../markdown/render';
import MessageContent from './MessageContent.vue';

/** A frame clock the test advances by hand. */
function manualFrames() {
  let queue: (() => void)[] = [];
  const requestFrame: RequestFrame = (callback) => {
    queue.push(callback);
    return () => {
      queue = queue.filter((c) => c !== callback);
    };
  };
  return {
    requestFrame,
    pending: () => queue.length,
    run() {
      const due = queue;
      queue = [];
      for (const callback of due) callback();
    },
  };
}

function setup(props: { text: string; streaming?: boolean; role?: 'user' | 'assistant' }, language: Language = 'en') {
  const frames = manualFrames();
  const renderer = createMarkdownRenderer({ highlight: createHighlighter() });
  const toFragment = vi.spyOn(renderer, 'toFragment');
  const loadHighlighter = vi.fn(() => Promise.resolve());
  const rendering: MessageRendering = { renderer, requestFrame: frames.requestFrame, loadHighlighter };
  const wrapper = mount(MessageContent, {
    props: { streaming: false, role: 'assistant' as const, ...props },
    global: { plugins: [createParleyI18n(language)], provide: { [MESSAGE_RENDERING as symbol]: rendering } },
    attachTo: document.body,
  });
  return { wrapper, frames, toFragment, loadHighlighter };
}

function stubClipboard(writeText: (text: string) => Promise<void>) {
  Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
}

afterEach(() => {
  Reflect.deleteProperty(navigator, 'clipboard');
  document.body.replaceChildren();
  vi.useRealTimers();
});

describe('MessageContent', () => {
  it('renders an assistant reply as markdown', () => {
    const { wrapper } = setup({ text: '# Plan\n\n- **first** step\n- [docs](https://example.com)' });
    expect(wrapper.find('h1').text()).toBe('Plan');
    expect(wrapper.find('li strong').text()).toBe('first');
    expect(wrapper.find('a').attributes()).toMatchObject({ href: 'https://example.com', rel: 'noopener noreferrer', target: '_blank' });
  });

  it("shows the user's own message literally, without markdown or HTML", () => {
    const { wrapper } = setup({ text: '**x** <b>y</b>', role: 'user' });
    expect(wrapper.text()).toBe('**x** <b>y</b>');
    expect(wrapper.find('strong').exists()).toBe(false);
    expect(wrapper.find('b').exists()).toBe(false);
  });

  it('never lets model output become an element that runs code', () => {
    const { wrapper } = setup({ text: '<img src=x onerror=alert(1)> [x](javascript:alert(1)) ![y](https://example.com/y.png)' });
    expect(wrapper.find('img, script, [onerror]').exists()).toBe(false);
    expect(wrapper.findAll('a').map((a) => a.attributes('href'))).toEqual(['https://example.com/y.png']);
  });

  it('copies the code of a block with its Copy button, and says so politely', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    stubClipboard(writeText);
    const { wrapper } = setup({ text: 'Run:\n\n```bash\nnpm install\nnpm test\n```' });
    const button = wrapper.get('button');
    expect(button.attributes('aria-label')).toBe('Copy code');
    expect(wrapper.get('.code-block-language').text()).toBe('bash');

    await button.trigger('click');
    await vi.waitFor(() => expect(button.text()).toBe('Copied'));
    expect(writeText).toHaveBeenCalledWith('npm install\nnpm test');
    expect(wrapper.get('[role="status"]').text()).toBe('Code copied');
  });

  it('goes back to "Copy" after a moment', async () => {
    vi.useFakeTimers();
    stubClipboard(() => Promise.resolve());
    const { wrapper } = setup({ text: '```\nx\n```' });
    const button = wrapper.get('button');
    await button.trigger('click');
    await vi.waitFor(() => expect(button.text()).toBe('Copied'));
    vi.advanceTimersByTime(2000);
    await nextTick();
    expect(button.text()).toBe('Copy');
    expect(button.attributes('aria-label')).toBe('Copy code');
    expect(wrapper.get('[role="status"]').text()).toBe('');
  });

  it('when the clipboard refuses, says so and selects the code for copying by hand', async () => {
    stubClipboard(() => Promise.reject(new DOMException('denied', 'NotAllowedError')));
    const { wrapper } = setup({ text: '```\nsecret sauce\n```' });
    const button = wrapper.get('button');
    await button.trigger('click');
    await vi.waitFor(() => expect(button.text()).toBe('Not copied'));
    expect(wrapper.get('[role="status"]').text()).toMatch(/Could not copy the code/);
    expect(window.getSelection()?.toString()).toContain('secret sauce');
  });

  it('when there is no clipboard API at all (plain http), fails the same way', async () => {
    const { wrapper } = setup({ text: '```\nx\n```' });
    await wrapper.get('button').trigger('click');
    await vi.waitFor(() => expect(wrapper.get('button').text()).toBe('Not copied'));
  });

  it.each([
    ['de', 'Code kopieren', 'Kopieren'],
    ['fr', 'Copier le code', 'Copier'],
  ] as const)('labels the Copy button in %s', (language, name, visible) => {
    const { wrapper } = setup({ text: '```\nx\n```' }, language);
    const button = wrapper.get('button');
    expect(button.attributes('aria-label')).toBe(name);
    expect(button.text()).toBe(visible);
  });

  it('relabels the Copy buttons when the language changes', async () => {
    const i18n = createParleyI18n('en');
    const wrapper = mount(MessageContent, {
      props: { text: '```\nx\n```', streaming: false, role: 'assistant' },
      global: { plugins: [i18n] },
    });
    i18n.global.locale.value = 'de';
    await nextTick();
    expect(wrapper.get('button').attributes('aria-label')).toBe('Code kopieren');
  });

  it('fetches syntax highlighting only once a code fence appears, and once for all', async () => {
    const { wrapper, loadHighlighter } = setup({ text: 'Plain words, no code.', streaming: true });
    await wrapper.setProps({ text: 'Plain words, no code. Still none.' });
    expect(loadHighlighter).not.toHaveBeenCalled();
    await wrapper.setProps({ text: 'Here:\n\n```py\nprint(1)' });
    await wrapper.setProps({ text: 'Here:\n\n```py\nprint(1)\n```' });
    expect(loadHighlighter).toHaveBeenCalledTimes(1);
    expect(setup({ text: '~~~\ncode\n~~~', role: 'user' }).loadHighlighter).not.toHaveBeenCalled();
  });

  it('while streaming, renders a burst of updates once per frame', async () => {
    const { wrapper, frames, toFragment } = setup({ text: '', streaming: true });
    toFragment.mockClear();
    let text = '';
    for (let i = 0; i < 100; i++) {
      text += `word${i} `;
      await wrapper.setProps({ text });
    }
    expect(toFragment).not.toHaveBeenCalled();
    expect(frames.pending()).toBe(1);

    frames.run();
    expect(toFragment).toHaveBeenCalledTimes(1);
    expect(wrapper.find('p').text()).toBe(text.trim());
  });

  it('renders the end of a reply at once, without waiting for a frame', async () => {
    const { wrapper, frames } = setup({ text: 'Hello', streaming: true });
    await wrapper.setProps({ text: 'Hello there.' });
    await wrapper.setProps({ streaming: false });
    expect(wrapper.find('p').text()).toBe('Hello there.');
    expect(frames.pending()).toBe(0);
  });

  it('while streaming, shows an unclosed fence as code, highlighted once the reply ends', async () => {
    const { wrapper, frames } = setup({ text: 'Try:\n\n', streaming: true });
    await wrapper.setProps({ text: 'Try:\n\n```js\nconst answer = 4' });
    frames.run();
    const code = wrapper.get('pre code');
    expect(code.text()).toBe('const answer = 4');
    expect(code.find('span').exists()).toBe(false);
    expect(wrapper.get('.message-content-markdown').attributes('aria-busy')).toBe('true');

    await wrapper.setProps({ text: 'Try:\n\n```js\nconst answer = 42;\n```' });
    await wrapper.setProps({ streaming: false });
    expect(wrapper.get('pre code .hljs-keyword').text()).toBe('const');
    expect(wrapper.get('.message-content-markdown').attributes('aria-busy')).toBeUndefined();
  });

  it('while streaming, keeps the nodes of finished blocks (selection and focus survive)', async () => {
    const { wrapper, frames } = setup({ text: 'First paragraph.\n\n```\ncode\n```\n\nSec', streaming: true });
    const first = wrapper.get('p').element;
    const button = wrapper.get('button').element;
    await wrapper.setProps({ text: 'First paragraph.\n\n```\ncode\n```\n\nSecond paragraph, growing' });
    frames.run();
    expect(wrapper.get('p').element).toBe(first);
    expect(wrapper.get('button').element).toBe(button);
    expect(wrapper.findAll('p').at(-1)?.text()).toBe('Second paragraph, growing');
  });

  it('makes code blocks and tables scrollable from the keyboard', () => {
    const { wrapper } = setup({ text: '```\nx\n```\n\n| a |\n|---|\n| 1 |' });
    expect(wrapper.get('pre').attributes('tabindex')).toBe('0');
    expect(wrapper.get('.table-scroll').attributes('tabindex')).toBe('0');
  });
});
