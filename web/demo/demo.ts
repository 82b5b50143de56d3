// The demo page's own script: its settings form changes the widget's attributes live,
// which is all a host page needs to do to retheme or re-language the chat.
const widget = document.querySelector('parley-chat');

for (const [id, attribute] of [
  ['demo-theme', 'theme'],
  ['demo-lang', 'lang'],
  ['demo-position', 'position'],
] as const) {
  const select = document.getElementById(id);
  if (!(select instanceof HTMLSelectElement) || widget === null) continue;
  select.value = widget.getAttribute(attribute) ?? select.value;
  select.addEventListener('change', () => widget.setAttribute(attribute, select.value));
}
