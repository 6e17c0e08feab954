/** How often a page with a live status requests it from the kiosk. */
export const POLL_INTERVAL_MS = 500;

/**
 * The kiosk's only script, served as /kiosk.js (the pages allow no inline script). A page with a
 * `data-poll` element fetches that JSON status every POLL_INTERVAL_MS. The status carries `state`
 * and `text`, a map from element id to text. When `state` differs from the element's
 * `data-state`, the page reloads, so the server renders the forms of the new state. Otherwise the
 * texts and the `progress` bar are updated in place. A `#print` button prints the page.
 */
export const KIOSK_SCRIPT = `'use strict';
(() => {
  const print = document.getElementById('print');
  if (print) print.addEventListener('click', () => window.print());
  const root = document.querySelector('[data-poll]');
  if (!root) return;
  const url = root.getAttribute('data-poll');
  const shown = root.getAttribute('data-state');
  const tick = async () => {
    try {
      const response = await fetch(url, { cache: 'no-store', credentials: 'same-origin' });
      if (response.ok) {
        const status = await response.json();
        if (status.state !== shown) {
          window.location.reload();
          return;
        }
        for (const [id, text] of Object.entries(status.text || {})) {
          const element = document.getElementById(id);
          if (element && element.textContent !== text) element.textContent = text;
        }
        const bar = document.getElementById('progress');
        if (bar && typeof status.accepted === 'number') bar.value = status.accepted;
      }
    } catch (error) {
      // A dropped request is retried at the next tick.
    }
    window.setTimeout(tick, ${POLL_INTERVAL_MS});
  };
  window.setTimeout(tick, ${POLL_INTERVAL_MS});
})();
`;
