// Signing in, the same on both pages: a field labelled Token and a button Sign in. The token is
// checked with GET /v1/me (in a header, never in the URL), then kept in this tab's sessionStorage
// until Sign out or the tab closes. On a service open to this machine (no token exists) no sign-in
// is needed. The form cannot be submitted by the browser itself (the pages' CSP has
// form-action 'none'), so a token typed before the script ran does not end up in a URL.
import type { Caller } from '../src/http/token-schemas.ts';
import { ApiFailure, explain, forgetToken, keepToken, storedToken, whoIs } from './api.ts';
import { byId, fill } from './dom.ts';

const REVOKED = 'The token this tab signed in with is no longer valid (it may have been revoked). Sign in again.';

function showSignIn(message = ''): void {
  byId('app').hidden = true;
  byId('who').hidden = true;
  byId('sign-in-section').hidden = false;
  byId('sign-in-error').textContent = message;
  if (message !== '') byId('token').focus();
}

function describe(caller: Caller): string {
  if (caller.open) return 'No token needed: this service is open to this machine';
  if (caller.name === null) return 'Signed in with an instructor token of MEMGRADE_TOKENS';
  return `Signed in as ${caller.name} (${caller.role})`;
}

/**
 * Runs the page once a caller is known: at load with the tab's token (or none, on an open
 * service), else after a successful sign-in.
 */
export async function session(onSignedIn: (caller: Caller) => void | Promise<void>): Promise<void> {
  const form = byId<HTMLFormElement>('sign-in');
  const input = byId<HTMLInputElement>('token');
  const button = form.querySelector('button') as HTMLButtonElement;

  const enter = async (caller: Caller) => {
    byId('sign-in-section').hidden = true;
    fill(byId('who-text'), describe(caller));
    byId('sign-out').hidden = caller.open;
    byId('who').hidden = false;
    byId('app').hidden = false;
    await onSignedIn(caller);
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (token === '') {
      byId('sign-in-error').textContent = 'Enter your token: your instructor gave it to you (it starts with mg_).';
      input.focus();
      return;
    }
    button.disabled = true;
    byId('sign-in-error').textContent = '';
    whoIs(token)
      .then(async (caller) => {
        if (caller === null) return showSignIn(explain(new ApiFailure(401, {}, null)));
        keepToken(token);
        input.value = '';
        await enter(caller);
      })
      .catch((error: unknown) => showSignIn(explain(error)))
      .finally(() => (button.disabled = false));
  });
  byId('sign-out').addEventListener('click', () => {
    forgetToken();
    location.assign(location.pathname);
  });

  const token = storedToken();
  // Without a token, the service is asked who we are only when the page says it is open.
  if (token === null && document.documentElement.dataset.open !== 'true') return showSignIn();
  try {
    const caller = await whoIs(token);
    if (caller !== null) return await enter(caller);
    if (token !== null) {
      forgetToken();
      return showSignIn(REVOKED);
    }
    showSignIn();
  } catch (error) {
    showSignIn(explain(error));
  }
}

/** After a call failed: a token that stopped working sends the page back to sign-in. */
export function signedOutBy(error: unknown): boolean {
  if (!(error instanceof ApiFailure) || error.status !== 401) return false;
  forgetToken();
  showSignIn(REVOKED);
  return true;
}
