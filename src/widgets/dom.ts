/**
 * A small element builder: the sidebar renders plain DOM.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | undefined> = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) {
      element.setAttribute(name, value);
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      element.append(child);
    }
  }
  return element;
}

/**
 * Show `text` in `element`, its `backticked` parts as code (empty states name
 * the code to run); an empty or null text clears it.
 */
export function setNote(element: HTMLElement, text: string | null): void {
  const parts = (text ?? '').split('`');
  element.replaceChildren(
    ...parts.map((part, i) => (i % 2 ? h('code', {}, part) : part))
  );
}

/**
 * Replace a container's children only when `key` differs from the last render.
 *
 * Rebuilding unchanged DOM on every poll would close an open `<select>` and
 * lose focus, so each section re-renders only when its data changed.
 */
export function renderIfChanged(
  container: HTMLElement,
  key: string,
  build: () => (Node | string)[]
): void {
  if (renderKeys.get(container) === key) {
    return;
  }
  renderKeys.set(container, key);
  container.replaceChildren(...build());
}

/**
 * The key each container was last rendered with.
 */
const renderKeys = new WeakMap<HTMLElement, string>();

/**
 * A small button that carries `data-action` and `data-name`, so that one click
 * handler on its container dispatches every button of a list.
 */
export function actionButton(
  action: string,
  name: string,
  text: string,
  label: string
): HTMLButtonElement {
  return h(
    'button',
    {
      class: `jp-aml-action jp-aml-action-${action} jp-Button jp-mod-minimal jp-mod-styled`,
      type: 'button',
      'data-action': action,
      'data-name': name,
      title: label,
      'aria-label': label === text ? undefined : label
    },
    text
  );
}
