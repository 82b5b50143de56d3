import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createApiClient, createMemoryTokenStore, sessionStorageKey, type TokenStore } from '../api/client';
import { createBrowserStore, type BrowserStore } from '../api/browser-store';
import { apiClientKey } from '../composables/useApiClient';
import { browserStoreKey } from '../composables/useBrowserStore';
import { createParleyI18n, type Language } from '../i18n';
import ChatPanel from './ChatPanel.vue';
import { createReplyStream, json, problem, type Reply } from '../testing/gateway-responses';


interface GatewayOptions {
  config?: Record<string, unknown>;
  history?: { id: string; role: string; content: string }[];
  /** Answers a chat request instead of the default open stream; `undefined` falls through to it. */
  onChat?: (request: Request, call: number) => Response | undefined;
  validTokens?: Set<string>;
}

function createFakeGateway(options: GatewayOptions = {}) {
  const validTokens = options.validTokens ?? new Set<string>();
  const requests: Request[] = [];
  const replies: Reply[] = [];
  let issued = 0;
  let chats = 0;
  const config = {
    languages: ['en', 'de', 'fr'],
    feedback_enabled: false,
    consent_mode: 'never',
    limits: { max_message_chars: 4000, session_idle_timeout_seconds: 1800 },
    ...options.config,
  };

  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(new URL(String(input), 'http://parley.test'), init);
    requests.push(request.clone());
    const { pathname } = new URL(request.url);
    if (pathname === '/api/v1/config') return json(200, config);
    if (request.method === 'POST' && pathname === '/api/v1/sessions') {
      const token = `tok-${++issued}`;
      validTokens.add(token);
      return json(201, { session_id: `s-${issued}`, token, expires_at: '2030-01-01T00:00:00Z' });
    }
    const token = request.headers.get('Authorization')?.replace(/^Bearer /, '') ?? '';
    if (!validTokens.has(token)) return problem(401, 'session_expired', 'Your session has expired.');
    if (request.method === 'GET' && pathname === '/api/v1/history') return json(200, { messages: options.history ?? [] });
    if (request.method === 'DELETE' && pathname === '/api/v1/sessions/current') {
      validTokens.delete(token);
      return new Response(null, { status: 204 });
    }
    if (request.method === 'POST' && pathname === '/api/v1/feedback') return json(202, { accepted: true });
    if (request.method === 'POST' && pathname === '/api/v1/chat') {
      const answered = options.onChat?.(request, ++chats);
      if (answered !== undefined) return answered;
      const reply = createReplyStream(request.signal);
      replies.push(reply);
      return new Response(reply.body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
    }
    return problem(404, 'not_found', 'No such route.');
  });

  const paths = () => requests.map((r) => `${r.method} ${new URL(r.url).pathname}`);
  return { fetch, requests, replies, paths };
}
type Gateway = ReturnType<typeof createFakeGateway>;

interface SetupOptions {
  props?: Record<string, unknown>;
  language?: Language;
  tokens?: TokenStore;
  store?: BrowserStore;
}

const wrappers: VueWrapper[] = [];

async function setup(gateway: Gateway, options: SetupOptions = {}) {
  const store = options.store ?? createBrowserStore(window.localStorage);
  const client = createApiClient({ language: options.language ?? 'en', tokens: options.tokens ?? store.tokens, fetch: gateway.fetch });
  const wrapper = mount(ChatPanel, {
    props: options.props ?? {},
    attachTo: document.body,
    global: {
      plugins: [createParleyI18n(options.language ?? 'en')],
      provide: { [apiClientKey as symbol]: client, [browserStoreKey as symbol]: store },
    },
  });
  wrappers.push(wrapper);
  await flushPromises();
  return { wrapper, client, store };
}

beforeEach(() => {
  window.localStorage.clear();
  document.documentElement.lang = 'en';
});

afterEach(() => {
  for (const wrapper of wrappers.splice(0)) wrapper.unmount();
  vi.useRealTimers();
  vi.restoreAllMocks();
  for (const name of ['__tcfapi', 'Cookiebot']) Reflect.deleteProperty(window, name);
});

async function nextReply(gateway: Gateway, index = 0): Promise<Reply> {
  await vi.waitFor(() => expect(gateway.replies[index]).toBeDefined());
  return gateway.replies[index]!;
}

/** The buttons a person can see and use (the Stop button keeps its place, hidden, between replies). */
const buttons = (wrapper: VueWrapper) => wrapper.findAll('button').filter((b) => (b.element as HTMLElement).style.visibility !== 'hidden');

function button(wrapper: VueWrapper, name: string) {
  const found = buttons(wrapper).find((b) => (b.attributes('aria-label') ?? b.text()) === name);
  if (found === undefined) throw new Error(`no button named "${name}"; have: ${buttons(wrapper).map((b) => b.attributes('aria-label') ?? b.text()).join(', ')}`);
  return found;
}

const hasButton = (wrapper: VueWrapper, name: string) => buttons(wrapper).some((b) => (b.attributes('aria-label') ?? b.text()) === name);
const textarea = (wrapper: VueWrapper) => wrapper.get<HTMLTextAreaElement>('.composer textarea');
// The panel's one status region (MessageContent announces through it).
const status = (wrapper: VueWrapper) => wrapper.get('.parley-chat > [role="status"]').text();
const alertFor = (wrapper: VueWrapper, code: string) => wrapper.find(`[role="alert"][data-error-code="${code}"]`);

async function type(wrapper: VueWrapper, text: string): Promise<void> {
  await textarea(wrapper).setValue(text);
}

async function sendMessage(wrapper: VueWrapper, text: string): Promise<void> {
  await type(wrapper, text);
  await wrapper.get('form.composer').trigger('submit');
  await flushPromises();
}

function labelOf(wrapper: VueWrapper, control: { attributes(name: string): string | undefined }): string {
  const id = control.attributes('id');
  return wrapper.get(`label[for="${id}"]`).text();
}

describe('ChatPanel', () => {
  it('renders the DOM contract: root, transcript, status region, composer and toolbar, all labeled', async () => {
    const { wrapper } = await setup(createFakeGateway());

    const root = wrapper.get('.parley-chat');
    expect(root.attributes('lang')).toBe('en');
    expect(root.attributes('data-theme')).toBeUndefined();
    expect(wrapper.get('[role="log"]').attributes('aria-label')).toBe('Conversation');
    expect(wrapper.findAll('.parley-chat > [role="status"]')).toHaveLength(1);
    expect(labelOf(wrapper, textarea(wrapper))).toBe('Message');
    for (const name of ['Send', 'New conversation', 'Delete my data']) expect(hasButton(wrapper, name)).toBe(true);
    expect(wrapper.get('select').element.closest('label')?.textContent).toContain('Language');
    expect(wrapper.get('[data-testid="char-counter"]').text()).toBe('0 / 4000');
  });

  it('has one status region in all: a code block\'s Copy announces through the panel\'s', async () => {
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    onTestFinished(() => {
      Reflect.deleteProperty(navigator, 'clipboard');
    });
    const { wrapper } = await setup(createFakeGateway({ history: [{ id: 'm1', role: 'assistant', content: 'Run:\n\n```bash\nnpm test\n```' }] }));
    await vi.waitFor(() => expect(wrapper.find('.code-block button').exists()).toBe(true));

    expect(wrapper.findAll('[role="status"]')).toHaveLength(1);
    await wrapper.get('.code-block button').trigger('click');
    await flushPromises();
    expect(writeText).toHaveBeenCalledWith('npm test');
    expect(status(wrapper)).toBe('Code copied');
    expect(wrapper.findAll('[role="status"]')).toHaveLength(1);
  });

  it('sets data-theme only when the theme is overridden', async () => {
    const { wrapper } = await setup(createFakeGateway(), { props: { theme: 'dark' } });
    expect(wrapper.get('.parley-chat').attributes('data-theme')).toBe('dark');
    await wrapper.setProps({ theme: 'auto' });
    expect(wrapper.get('.parley-chat').attributes('data-theme')).toBeUndefined();
  });

  it('while a reply streams: one busy message, "Generating…", input and Send disabled, focus on Stop; then "Done" and focus back in the composer', async () => {
    const gateway = createFakeGateway();
    const { wrapper } = await setup(gateway);

    await sendMessage(wrapper, 'hello');
    const reply = await nextReply(gateway);
    reply.event('meta', { message_id: 'm1' });
    reply.event('delta', { text: 'Hal' });
    await vi.waitFor(() => expect(wrapper.find('article[data-role="assistant"] .message-content').exists()).toBe(true));

    const streaming = wrapper.get('article[data-role="assistant"]');
    expect(streaming.attributes('data-state')).toBe('streaming');
    expect(streaming.attributes('aria-busy')).toBe('true');
    expect(streaming.attributes('data-message-id')).toBe('m1');
    expect(wrapper.get('article[data-role="user"]').attributes('aria-busy')).toBeUndefined();
    expect(status(wrapper)).toBe('Generating…');
    expect(textarea(wrapper).element.disabled).toBe(true);
    expect(button(wrapper, 'Send').attributes('disabled')).toBeDefined();
    expect(document.activeElement).toBe(button(wrapper, 'Stop').element);

    reply.event('delta', { text: 'lo' });
    reply.event('done', { finish_reason: 'stop', safety: { action: 'allow' } });
    await vi.waitFor(() => expect(status(wrapper)).toBe('Done'));
    await flushPromises();

    const done = wrapper.get('article[data-role="assistant"]');
    expect(done.attributes('data-state')).toBe('complete');
    expect(done.attributes('aria-busy')).toBeUndefined();
    expect(done.get('.message-content').text()).toBe('Hallo');
    expect(hasButton(wrapper, 'Stop')).toBe(false);
    expect(document.activeElement).toBe(textarea(wrapper).element);
  });

  it('Esc stops generation: the request is aborted, "Stopped" is announced and focus returns to the composer', async () => {
    const gateway = createFakeGateway();
    const { wrapper } = await setup(gateway);
    await sendMessage(wrapper, 'hello');
    const reply = await nextReply(gateway);
    reply.event('delta', { text: 'Some' });
    await vi.waitFor(() => expect(wrapper.find('article[data-role="assistant"] .message-content').exists()).toBe(true));

    const esc = new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true });
    button(wrapper, 'Stop').element.dispatchEvent(esc);
    await vi.waitFor(() => expect(status(wrapper)).toBe('Stopped'));
    await flushPromises();

    expect(esc.defaultPrevented).toBe(true);
    const chatCall = gateway.fetch.mock.calls.find(([url]) => String(url).endsWith('/api/v1/chat'));
    expect(chatCall?.[1]?.signal?.aborted).toBe(true);
    expect(wrapper.get('article[data-role="assistant"]').attributes('data-state')).toBe('stopped');
    expect(document.activeElement).toBe(textarea(wrapper).element);
  });

  it('Esc does nothing (and lets the event through) when no reply is streaming', async () => {
    const { wrapper } = await setup(createFakeGateway());
    const esc = new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true });
    textarea(wrapper).element.dispatchEvent(esc);
    expect(esc.defaultPrevented).toBe(false);
  });

  it('the Stop button stops too, and focus goes back to the composer', async () => {
    const gateway = createFakeGateway();
    const { wrapper } = await setup(gateway);
    await sendMessage(wrapper, 'hello');
    await nextReply(gateway);

    await button(wrapper, 'Stop').trigger('click');
    await vi.waitFor(() => expect(status(wrapper)).toBe('Stopped'));
    await flushPromises();
    expect(document.activeElement).toBe(textarea(wrapper).element);
  });

  it('a blocked reply shows the localized safety notice in place of the reply; the withheld text is not in the DOM', async () => {
    const gateway = createFakeGateway();
    const { wrapper } = await setup(gateway);
    await sendMessage(wrapper, 'hello');
    const reply = await nextReply(gateway);
    reply.event('meta', { message_id: 'm1' });
    reply.event('delta', { text: 'RELEASED-BEFORE-BLOCK ' });
    await vi.waitFor(() => expect(wrapper.html()).toContain('RELEASED-BEFORE-BLOCK'));
    reply.event('done', { finish_reason: 'content_filter', safety: { action: 'block' }, notice: 'SERVER-NOTICE-TEXT' });
    await vi.waitFor(() => expect(status(wrapper)).toBe('The reply was withheld'));

    const blocked = wrapper.get('article[data-role="assistant"]');
    expect(blocked.attributes('data-state')).toBe('blocked');
    expect(blocked.get('.message-content').text()).toBe('This reply was withheld because it did not meet the safety policy.');
    expect(document.body.innerHTML).not.toContain('RELEASED-BEFORE-BLOCK');
    expect(document.body.innerHTML).not.toContain('SERVER-NOTICE-TEXT');
  });

  it('a degraded fallback reply is marked as such', async () => {
    const gateway = createFakeGateway();
    const { wrapper } = await setup(gateway);
    await sendMessage(wrapper, 'hello');
    const reply = await nextReply(gateway);
    reply.event('delta', { text: 'Fallback' });
    reply.event('done', { finish_reason: 'stop', safety: { action: 'allow' }, degraded: true });
    await vi.waitFor(() => expect(status(wrapper)).toBe('Done'));

    const article = wrapper.get('article[data-role="assistant"]');
    expect(article.attributes('data-degraded')).toBe('true');
    expect(article.text()).toContain('Fallback answer: the assistant could not answer right now.');
  });

  it('offline: a localized alert with Retry; the message is handed back and Retry sends it', async () => {
    const gateway = createFakeGateway();
    const { wrapper } = await setup(gateway);
    gateway.fetch.mockRejectedValueOnce(new TypeError('Failed to fetch'));

    await sendMessage(wrapper, 'hello');
    const alert = alertFor(wrapper, 'offline');
    expect(alert.exists()).toBe(true);
    expect(alert.text()).toContain("Parley can't be reached. Check your connection and try again.");
    expect(textarea(wrapper).element.value).toBe('hello');
    expect(wrapper.findAll('article')).toHaveLength(0);

    await button(wrapper, 'Retry').trigger('click');
    const reply = await nextReply(gateway);
    reply.event('done', { finish_reason: 'stop' });
    await vi.waitFor(() => expect(status(wrapper)).toBe('Done'));
    expect(alertFor(wrapper, 'offline').exists()).toBe(false);
    expect(textarea(wrapper).element.value).toBe('');
    expect(wrapper.get('article[data-role="user"]').text()).toContain('hello');
  });

  it('429: a live countdown from Retry-After, Send disabled until it reaches 0; the server detail is not shown', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const gateway = createFakeGateway({
      onChat: (_request, call) => (call === 1 ? problem(429, 'rate_limited', 'ENGLISH-DETAIL', { 'Retry-After': '3' }) : undefined),
    });
    const { wrapper } = await setup(gateway);

    await sendMessage(wrapper, 'hello');
    const alert = alertFor(wrapper, 'rate_limited');
    expect(alert.text()).toContain('You are sending messages too quickly.');
    expect(alert.text()).not.toContain('ENGLISH-DETAIL');
    expect(alert.text()).toContain('trace-123');
    expect(alert.get('[data-countdown]').text()).toContain('3');
    expect(textarea(wrapper).element.value).toBe('hello');
    expect(button(wrapper, 'Send').attributes('disabled')).toBeDefined();

    vi.advanceTimersByTime(1000);
    await flushPromises();
    expect(alertFor(wrapper, 'rate_limited').get('[data-countdown]').text()).toContain('2');
    expect(button(wrapper, 'Send').attributes('disabled')).toBeDefined();
    vi.advanceTimersByTime(1000);
    await flushPromises();
    expect(alertFor(wrapper, 'rate_limited').get('[data-countdown]').text()).toContain('1');
    expect(button(wrapper, 'Send').attributes('disabled')).toBeDefined();
    vi.advanceTimersByTime(1000);
    await flushPromises();
    expect(wrapper.find('[data-countdown]').exists()).toBe(false);
    expect(button(wrapper, 'Send').attributes('disabled')).toBeUndefined();
  });

  it('503 llm_unavailable: retry is offered after the given time', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const gateway = createFakeGateway({
      onChat: (_request, call) => (call === 1 ? problem(503, 'llm_unavailable', 'Breaker open.', { 'Retry-After': '2' }) : undefined),
    });
    const { wrapper } = await setup(gateway);

    await sendMessage(wrapper, 'hello');
    const alert = alertFor(wrapper, 'llm_unavailable');
    expect(alert.text()).toContain('The assistant is unavailable right now.');
    expect(alert.get('[data-countdown]').text()).toContain('2');
    expect(button(wrapper, 'Retry').attributes('disabled')).toBeDefined();

    vi.advanceTimersByTime(2000);
    await flushPromises();
    expect(button(wrapper, 'Retry').attributes('disabled')).toBeUndefined();
    await button(wrapper, 'Retry').trigger('click');
    const reply = await nextReply(gateway);
    reply.event('done', { finish_reason: 'stop' });
    await vi.waitFor(() => expect(status(wrapper)).toBe('Done'));
    expect(gateway.paths().filter((p) => p === 'POST /api/v1/chat')).toHaveLength(2);
  });

  it('an expired session is replaced transparently and the user is told', async () => {
    const gateway = createFakeGateway();
    const { wrapper } = await setup(gateway, { tokens: createMemoryTokenStore('expired') });
    // The history load already renewed the session.
    const notice = alertFor(wrapper, 'session_expired');
    expect(notice.text()).toContain('Your previous session expired; a new one has started.');
    expect(gateway.paths()).toContain('POST /api/v1/sessions');

    await button(wrapper, 'Dismiss').trigger('click');
    expect(alertFor(wrapper, 'session_expired').exists()).toBe(false);
  });

  it('too long: the counter follows the input, Send is disabled over the limit from the config and an alert says why', async () => {
    const gateway = createFakeGateway({ config: { limits: { max_message_chars: 10, session_idle_timeout_seconds: 1800 } } });
    const { wrapper } = await setup(gateway);
    const counter = () => wrapper.get('[data-testid="char-counter"]').text();

    await type(wrapper, 'short');
    expect(counter()).toBe('5 / 10');
    expect(button(wrapper, 'Send').attributes('disabled')).toBeUndefined();
    expect(alertFor(wrapper, 'message_too_long').exists()).toBe(false);

    await type(wrapper, 'much too long');
    expect(counter()).toBe('13 / 10');
    expect(button(wrapper, 'Send').attributes('disabled')).toBeDefined();
    expect(textarea(wrapper).attributes('aria-invalid')).toBe('true');
    expect(alertFor(wrapper, 'message_too_long').text()).toContain('10 characters');

    await wrapper.get('form.composer').trigger('submit');
    await flushPromises();
    expect(gateway.paths()).not.toContain('POST /api/v1/chat');
  });

  it('switching the language changes the UI text, the root lang and the language sent to the backend', async () => {
    const gateway = createFakeGateway();
    const { wrapper } = await setup(gateway);

    await wrapper.get('select').setValue('de');
    expect(wrapper.get('.parley-chat').attributes('lang')).toBe('de');
    expect(labelOf(wrapper, textarea(wrapper))).toBe('Nachricht');
    for (const name of ['Senden', 'Neues Gespräch', 'Meine Daten löschen']) expect(hasButton(wrapper, name)).toBe(true);
    expect(wrapper.get('select').element.closest('label')?.textContent).toContain('Sprache');
    expect(wrapper.emitted('language-change')?.at(-1)).toEqual(['de']);

    await sendMessage(wrapper, 'hallo');
    const reply = await nextReply(gateway);
    expect(hasButton(wrapper, 'Stopp')).toBe(true);
    reply.event('done', { finish_reason: 'stop' });
    await vi.waitFor(() => expect(status(wrapper)).toBe('Fertig'));
    const chat = gateway.requests.find((r) => r.url.endsWith('/api/v1/chat'));
    expect(await chat?.json()).toEqual({ message: 'hallo', language: 'de' });

    await wrapper.get('select').setValue('fr');
    for (const name of ['Envoyer', 'Nouvelle conversation', 'Supprimer mes données']) expect(hasButton(wrapper, name)).toBe(true);
  });

  it('takes the language from the host page, and an explicit prop over it', async () => {
    document.documentElement.lang = 'fr-CA';
    const first = await setup(createFakeGateway());
    expect(first.wrapper.get('.parley-chat').attributes('lang')).toBe('fr');
    expect(hasButton(first.wrapper, 'Envoyer')).toBe(true);
    first.wrapper.unmount();
    wrappers.splice(0);

    const second = await setup(createFakeGateway(), { props: { language: 'de' } });
    expect(second.wrapper.get('.parley-chat').attributes('lang')).toBe('de');
    await second.wrapper.setProps({ language: 'en' });
    expect(hasButton(second.wrapper, 'Send')).toBe(true);
  });

  describe('consent', () => {
    it('writes nothing to storage before consent; Accept moves the current token into storage', async () => {
      const setItem = vi.spyOn(Storage.prototype, 'setItem');
      const gateway = createFakeGateway({ config: { consent_mode: 'always' } });
      const { wrapper } = await setup(gateway);

      const banner = wrapper.get('[role="region"][aria-label="Privacy"]');
      expect(banner.text()).toContain('Nothing is stored unless you accept.');
      await wrapper.get('select').setValue('de'); // a choice made before consent is not remembered yet
      await wrapper.get('select').setValue('en');
      await sendMessage(wrapper, 'hello');
      (await nextReply(gateway)).event('done', { finish_reason: 'stop' });
      await flushPromises();
      expect(gateway.paths()).toContain('POST /api/v1/sessions');
      expect(setItem).not.toHaveBeenCalled();
      expect(document.cookie).toBe('');

      await button(wrapper, 'Accept').trigger('click');
      expect(wrapper.find('[role="region"][aria-label="Privacy"]').exists()).toBe(false);
      expect(window.localStorage.getItem(sessionStorageKey)).toBe('tok-1');
      expect(window.localStorage.getItem('parley.language')).toBe('en');
    });

    it('Decline hides the banner and keeps everything in memory', async () => {
      const setItem = vi.spyOn(Storage.prototype, 'setItem');
      const { wrapper } = await setup(createFakeGateway({ config: { consent_mode: 'always' } }));
      await button(wrapper, 'Decline').trigger('click');
      expect(wrapper.find('[role="region"][aria-label="Privacy"]').exists()).toBe(false);
      expect(setItem).not.toHaveBeenCalled();
    });

    it('in auto mode, hides the banner when the host page has its own consent manager', async () => {
      const setItem = vi.spyOn(Storage.prototype, 'setItem');
      Object.assign(window, { __tcfapi: () => undefined });
      const { wrapper } = await setup(createFakeGateway(), { props: { consent: 'auto' } });
      expect(wrapper.find('[role="region"][aria-label="Privacy"]').exists()).toBe(false);
      expect(setItem).not.toHaveBeenCalled();
    });

    it('in auto mode without a consent manager on the page, shows the banner', async () => {
      const { wrapper } = await setup(createFakeGateway(), { props: { consent: 'auto' } });
      expect(wrapper.find('[role="region"][aria-label="Privacy"]').exists()).toBe(true);
    });

    it('the consent prop overrides the server, and a consent given earlier is remembered', async () => {
      window.localStorage.setItem('parley.consent', 'granted');
      const { wrapper } = await setup(createFakeGateway({ config: { consent_mode: 'always' } }));
      expect(wrapper.find('[role="region"][aria-label="Privacy"]').exists()).toBe(false);
      wrapper.unmount();
      wrappers.splice(0);

      const never = await setup(createFakeGateway({ config: { consent_mode: 'always' } }), { props: { consent: 'never' } });
      expect(never.wrapper.find('[role="region"][aria-label="Privacy"]').exists()).toBe(false);
    });

    it('links the privacy notice from the config or the prop', async () => {
      const { wrapper } = await setup(createFakeGateway({ config: { consent_mode: 'always', privacy_url: 'https://example.com/privacy' } }));
      const links = wrapper.findAll('a').filter((a) => a.text() === 'Privacy notice');
      expect(links.length).toBeGreaterThan(0);
      for (const link of links) {
        expect(link.attributes('href')).toBe('https://example.com/privacy');
        expect(link.attributes('rel')).toBe('noopener noreferrer');
      }
      await wrapper.setProps({ privacyUrl: '/imprint#privacy' });
      expect(wrapper.findAll('a').every((a) => a.attributes('href') === '/imprint#privacy')).toBe(true);
    });
  });

  it('delete my data asks first, then calls DELETE, clears the conversation and what was stored', async () => {
    window.localStorage.setItem('parley.consent', 'granted');
    window.localStorage.setItem('parley.language', 'en');
    const gateway = createFakeGateway({
      config: { consent_mode: 'always' },
      validTokens: new Set(['kept']),
      history: [{ id: 'h1', role: 'user', content: 'earlier', created_at: '2030-01-01T00:00:00Z' } as never],
    });
    window.localStorage.setItem(sessionStorageKey, 'kept');
    const { wrapper } = await setup(gateway);
    expect(wrapper.findAll('article')).toHaveLength(1);

    await button(wrapper, 'Delete my data').trigger('click');
    expect(gateway.paths()).not.toContain('DELETE /api/v1/sessions/current');
    expect(wrapper.text()).toContain('This cannot be undone.');
    expect(document.activeElement).toBe(button(wrapper, 'Cancel').element);

    await button(wrapper, 'Delete').trigger('click');
    await flushPromises();

    const erase = gateway.requests.find((r) => r.method === 'DELETE');
    expect(erase?.headers.get('Authorization')).toBe('Bearer kept');
    expect(wrapper.findAll('article')).toHaveLength(0);
    expect(status(wrapper)).toBe('Your data has been deleted.');
    expect(window.localStorage.length).toBe(0);
    // Nothing is stored any more, so the visitor is asked again.
    expect(wrapper.find('[role="region"][aria-label="Privacy"]').exists()).toBe(true);
  });

  it('Cancel leaves the data alone', async () => {
    const gateway = createFakeGateway();
    const { wrapper } = await setup(gateway);
    await button(wrapper, 'Delete my data').trigger('click');
    await button(wrapper, 'Cancel').trigger('click');
    expect(hasButton(wrapper, 'Delete')).toBe(false);
    expect(gateway.paths()).not.toContain('DELETE /api/v1/sessions/current');
  });

  it('new conversation clears the view and starts a fresh session', async () => {
    const gateway = createFakeGateway({ history: [{ id: 'h1', role: 'user', content: 'earlier' }] });
    const { wrapper } = await setup(gateway);
    expect(wrapper.findAll('article')).toHaveLength(1);

    await button(wrapper, 'New conversation').trigger('click');
    await flushPromises();
    expect(wrapper.findAll('article')).toHaveLength(0);
    expect(gateway.paths().filter((p) => p === 'POST /api/v1/sessions')).toHaveLength(2);
    expect(document.activeElement).toBe(textarea(wrapper).element);
  });

  describe('feedback', () => {
    async function completedReply(config: Record<string, unknown>) {
      const gateway = createFakeGateway({ config });
      const { wrapper } = await setup(gateway);
      await sendMessage(wrapper, 'hello');
      const reply = await nextReply(gateway);
      reply.event('meta', { message_id: 'm1' });
      reply.event('delta', { text: 'Answer' });
      reply.event('done', { finish_reason: 'stop', safety: { action: 'allow' } });
      await vi.waitFor(() => expect(status(wrapper)).toBe('Done'));
      return { gateway, wrapper };
    }

    it('is hidden when the config says feedback is off', async () => {
      const { wrapper } = await completedReply({ feedback_enabled: false });
      expect(hasButton(wrapper, 'Good answer')).toBe(false);
      expect(hasButton(wrapper, 'Bad answer')).toBe(false);
    });

    it('when on, rates the reply with aria-pressed, POSTs it, confirms, and sends an optional comment', async () => {
      const { gateway, wrapper } = await completedReply({ feedback_enabled: true });
      const article = wrapper.get('article[data-role="assistant"]');
      const good = article.findAll('button').find((b) => b.attributes('aria-label') === 'Good answer')!;
      expect(good.attributes('aria-pressed')).toBe('false');
      expect(article.findAll('button').some((b) => b.attributes('aria-label') === 'Bad answer')).toBe(true);

      await good.trigger('click');
      await flushPromises();
      expect(good.attributes('aria-pressed')).toBe('true');
      const rated = gateway.requests.filter((r) => r.url.endsWith('/api/v1/feedback'));
      expect(await rated[0]?.json()).toEqual({ message_id: 'm1', rating: 'up' });
      expect(article.text()).toContain('Thanks for your feedback.');
      expect(status(wrapper)).toBe('Thanks for your feedback.');

      await article.get('.feedback textarea').setValue('Very clear');
      await article.get('.feedback form').trigger('submit');
      await flushPromises();
      const all = gateway.requests.filter((r) => r.url.endsWith('/api/v1/feedback'));
      expect(await all[1]?.json()).toEqual({ message_id: 'm1', rating: 'up', comment: 'Very clear' });
    });

    it('is offered on restored history replies that have an id', async () => {
      const gateway = createFakeGateway({
        config: { feedback_enabled: true },
        history: [
          { id: 'u1', role: 'user', content: 'q' },
          { id: 'a1', role: 'assistant', content: 'a' },
        ],
      });
      const { wrapper } = await setup(gateway);
      const article = wrapper.get('article[data-message-id="a1"]');
      expect(article.findAll('button').some((b) => b.attributes('aria-label') === 'Good answer')).toBe(true);
      expect(wrapper.get('article[data-message-id="u1"]').find('.feedback').exists()).toBe(false);
    });
  });
});
