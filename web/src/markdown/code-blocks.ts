// Copy buttons and scroll containers, added as DOM nodes after sanitizing (never as HTML
// strings), so nothing the model wrote can become a button or an event handler.

export interface CodeBlockLabels {
  /** Visible text of the copy button ("Copy"). */
  copy: string;
  /** Its accessible name ("Copy code"); contains the visible text. */
  copyCode: string;
  /** Shown instead of a language name when the fence names none ("Code"). */
  code: string;
}

export interface CodeBlocks {
  /** Returns `node` with each <pre> framed by a header (language, Copy) and tables made scrollable. */
  decorate(node: Node): Node;
  /** The code a Copy button belongs to, or null when `target` is not inside one of our buttons. */
  codeFor(target: EventTarget | null): { button: HTMLButtonElement; code: string } | null;
}

export function createCodeBlocks(document: Document, labels: () => CodeBlockLabels): CodeBlocks {
  // Our buttons, and the code each copies; a lookup instead of classes or data attributes, which
  // sanitized content could imitate.
  const buttons = new WeakMap<Element, HTMLElement>();

  function frameCode(pre: HTMLElement): HTMLElement {
    const { copy, copyCode, code } = labels();
    const language = /(?:^|\s)language-(\S+)/.exec(pre.querySelector('code')?.className ?? '')?.[1];

    const block = document.createElement('div');
    block.className = 'code-block';
    const header = document.createElement('div');
    header.className = 'code-block-header';
    const name = document.createElement('span');
    name.className = 'code-block-language';
    name.textContent = language ?? code;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'code-block-copy';
    button.textContent = copy;
    button.setAttribute('aria-label', copyCode);
    header.append(name, button);

    pre.replaceWith(block);
    // Keyboard users must be able to scroll a long line into view.
    pre.tabIndex = 0;
    block.append(header, pre);
    buttons.set(button, pre);
    return block;
  }

  function frameTable(table: HTMLElement): HTMLElement {
    const scroller = document.createElement('div');
    scroller.className = 'table-scroll';
    scroller.tabIndex = 0;
    table.replaceWith(scroller);
    scroller.append(table);
    return scroller;
  }

  return {
    decorate(node) {
      if (!isElement(node)) return node;
      const holder = document.createDocumentFragment();
      holder.append(node);
      for (const pre of holder.querySelectorAll('pre')) frameCode(pre);
      for (const table of holder.querySelectorAll('table')) frameTable(table);
      return holder.firstChild as Node;
    },
    codeFor(target) {
      const button = isElement(target) ? target.closest('button') : null;
      const pre = button === null ? undefined : buttons.get(button);
      if (button === null || pre === undefined) return null;
      // The fence's content ends with a newline that nobody wants pasted.
      return { button: button as HTMLButtonElement, code: (pre.textContent ?? '').replace(/\n$/, '') };
    },
  };
}

// nodeType rather than instanceof: the nodes may come from another window (jsdom, iframes).
function isElement(value: unknown): value is Element {
  return typeof value === 'object' && value !== null && (value as Node).nodeType === 1;
}
