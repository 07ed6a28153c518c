import { ISignInState } from '../signIn';
import { actionButton, h } from './dom';
import { timeUntil } from './relativeTime';

/**
 * A workspace's sign-in as it goes: the device code (selectable, with a copy
 * button) and the address to enter it at, a progress line while the server
 * retries its credential, or what went wrong. Buttons carry `data-action`.
 */
export function signInPanel(
  name: string,
  state: ISignInState,
  now: number
): HTMLElement {
  const panel = h('div', {
    class: 'jp-aml-sign-in',
    'data-phase': state.phase,
    'aria-live': 'polite'
  });
  switch (state.phase) {
    case 'requesting':
      panel.append(Private.progress('Asking for a sign-in…'));
      break;
    case 'waiting':
      panel.append(Private.progress('Signing in…'));
      break;
    case 'device-code': {
      const uri = state.verificationUri ?? '';
      panel.append(
        h(
          'div',
          { class: 'jp-aml-sign-in-step' },
          'Open ',
          h(
            'a',
            {
              class: 'jp-aml-sign-in-link',
              href: uri,
              target: '_blank',
              rel: 'noopener noreferrer'
            },
            uri
          ),
          ' and enter the code:'
        ),
        h(
          'div',
          { class: 'jp-aml-sign-in-code-row' },
          h(
            'code',
            { class: 'jp-aml-sign-in-code', tabindex: '0' },
            state.userCode ?? ''
          ),
          actionButton('copy-code', name, 'Copy', 'Copy the code')
        ),
        Private.progress(
          state.expiresAt
            ? `Waiting for you to sign in (the code expires ${timeUntil(state.expiresAt, now)})…`
            : 'Waiting for you to sign in…'
        )
      );
      break;
    }
    case 'expired':
    case 'failed':
      panel.setAttribute('role', 'alert');
      panel.append(
        h('div', { class: 'jp-aml-sign-in-error' }, state.message ?? ''),
        h(
          'div',
          { class: 'jp-aml-sign-in-buttons' },
          actionButton('sign-in', name, 'Try again', `Sign in to ${name}`),
          actionButton('dismiss-sign-in', name, 'Dismiss', 'Dismiss')
        )
      );
      break;
  }
  return panel;
}

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * A spinner and a line of text.
   */
  export function progress(text: string): HTMLElement {
    return h(
      'div',
      { class: 'jp-aml-sign-in-progress' },
      h('span', {
        class: 'jp-aml-spinner',
        role: 'progressbar',
        'aria-label': text
      }),
      h('span', {}, text)
    );
  }
}
