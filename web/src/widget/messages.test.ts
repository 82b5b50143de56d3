import { describe, expect, it } from 'vitest';
import { LANGUAGES, loadMessages } from '../i18n';
import { launcherMessages } from './messages';
import { panelMessages } from './panel';

describe('the widget’s messages, split between the entry and the panel chunk', () => {
  it('puts only the launcher’s namespaces in the entry and every other one in the panel chunk', () => {
    for (const lang of LANGUAGES) {
      expect(Object.keys(launcherMessages[lang]).sort()).toEqual(['app', 'widget']);
      expect(Object.keys(panelMessages[lang])).not.toContain('widget');
      expect(Object.keys(panelMessages[lang])).toContain('chat');
    }
  });

  it('adds up to the standalone page’s messages, so nothing is lost in the split', () => {
    const all = loadMessages();
    for (const lang of LANGUAGES) expect({ ...launcherMessages[lang], ...panelMessages[lang] }).toEqual(all[lang]);
  });
});
