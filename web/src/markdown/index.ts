// What MessageContent.vue needs to render, behind one injection key so tests (and hosts) can
// swap the frame clock or the renderer.
import type { InjectionKey } from 'vue';
import { animationFrame, type RequestFrame } from './frame';
import { createMarkdownRenderer, type MarkdownRenderer } from './render';

export interface MessageRendering {
  renderer: MarkdownRenderer;
  requestFrame: RequestFrame;
  /** Settles when syntax highlighting is available (or could not be loaded). */
  highlighterReady: Promise<void>;
}

export const MESSAGE_RENDERING: InjectionKey<MessageRendering> = Symbol('parley.message-rendering');

let shared: MessageRendering | undefined;

/** One renderer for every message of the page, created on first use. */
export function defaultMessageRendering(): MessageRendering {
  if (shared === undefined) {
    const renderer = createMarkdownRenderer();
    // highlight.js is the largest part of rendering and only needed once a code fence closes:
    // fetched beside the first message instead of delaying the widget (a separate chunk where
    // the build splits code, harmless where it inlines it). Unhighlighted code stays readable.
    const highlighterReady = import('./highlight').then(
      ({ createHighlighter }) => renderer.setHighlight(createHighlighter()),
      () => undefined,
    );
    shared = { renderer, requestFrame: animationFrame, highlighterReady };
  }
  return shared;
}

export { createMarkdownRenderer, type MarkdownRenderer } from './render';
export type { RequestFrame } from './frame';
