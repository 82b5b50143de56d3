// What MessageContent.vue needs to render, behind one injection key so tests (and hosts) can
// swap the frame clock or the renderer.
import type { InjectionKey } from 'vue';
import { animationFrame, type RequestFrame } from './frame';
import { createMarkdownRenderer, type MarkdownRenderer } from './render';

export interface MessageRendering {
  renderer: MarkdownRenderer;
  requestFrame: RequestFrame;
  /**
   * Loads syntax highlighting (once; later calls share the first) and settles when it is
   * available or could not be loaded. Called when a message first shows a code fence.
   */
  loadHighlighter(): Promise<void>;
}

export const MESSAGE_RENDERING: InjectionKey<MessageRendering> = Symbol('parley.message-rendering');

let shared: MessageRendering | undefined;

/** One renderer for every message of the page, created on first use. */
export function defaultMessageRendering(): MessageRendering {
  if (shared === undefined) {
    const renderer = createMarkdownRenderer();
    // highlight.js is the largest part of rendering and only needed for code: fetched when the
    // first code fence shows up (a separate chunk where the build splits code, harmless where
    // it inlines it), so a conversation without code never loads it. Unhighlighted code stays readable.
    let loading: Promise<void> | undefined;
    const loadHighlighter = () =>
      (loading ??= import('./highlight').then(
        ({ createHighlighter }) => renderer.setHighlight(createHighlighter()),
        () => undefined,
      ));
    shared = { renderer, requestFrame: animationFrame, loadHighlighter };
  }
  return shared;
}

export { createMarkdownRenderer, type MarkdownRenderer } from './render';
export type { RequestFrame } from './frame';
