// Shared by every page: the API key (asked once, kept in sessionStorage, sent as a Bearer header —
// never in a URL), API calls with the service's error shape, DOM building without innerHTML, and
// formatting.

const KEY = 'sluice.apiKey';

/** The key typed in this tab, or null. */
export function apiKey() {
  return sessionStorage.getItem(KEY);
}

/** Builds an element: `el('td', { class: 'x', title: 't' }, 'text', child)`. Text is never parsed as HTML. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** An API error with the service's `{ status, code, field, reason }`. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.reason ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** Calls the API with the stored key; throws ApiError on a non-2xx answer. */
export async function api(path, { method = 'GET', body } = {}) {
  const headers = { accept: 'application/json' };
  const key = apiKey();
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

/**
 * The key bar at the top of every page: a password field when no key is stored, else a note and
 * a button to forget it. `onKey` runs after a key is saved (the page reloads its data).
 */
export function keyBar(container, onKey) {
  container.replaceChildren();
  if (apiKey()) {
    container.append(
      el('span', { class: 'muted' }, 'API key set for this tab'),
      el('button', { type: 'button', class: 'link', onclick: () => { sessionStorage.removeItem(KEY); keyBar(container, onKey); } }, 'forget'),
    );
    return;
  }
  const input = el('input', { type: 'password', name: 'apikey', autocomplete: 'off', placeholder: 'slk_…', 'aria-label': 'API key', size: 36 });
  const form = el('form', { class: 'keyform', id: 'key-form' },
    el('label', {}, 'API key ', input),
    el('button', { type: 'submit' }, 'Use key'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    sessionStorage.setItem(KEY, value);
    input.value = '';
    keyBar(container, onKey);
    onKey();
  });
  container.append(form);
}

/** Shows an error where the data would be, saying what to do about a missing or weak key. */
export function showError(container, error) {
  const status = error instanceof ApiError ? error.status : 0;
  const hint = status === 401 ? 'Enter a valid API key above (read scope).'
    : status === 403 ? 'This key lacks the scope for that action.'
      : status === 404 ? 'Not found.'
        : '';
  container.replaceChildren(el('p', { class: 'error', role: 'alert' }, `${error.message}${hint ? ` — ${hint}` : ''}`));
}

/** Standard page frame: header with navigation and the key bar; returns the main element. */
export function frame(title, load) {
  document.title = `${title} · Sluice`;
  const bar = el('div', { class: 'keybar' });
  const main = el('main', { id: 'main' });
  document.body.replaceChildren(
    el('header', {}, el('a', { href: '/ui', class: 'brand' }, 'Sluice'), el('nav', {}, el('a', { href: '/ui' }, 'Releases')), bar),
    main,
  );
  const run = () => {
    if (!apiKey()) {
      main.replaceChildren(el('p', { class: 'muted' }, 'Enter an API key to load the data. It stays in this browser tab only.'));
      return;
    }
    main.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
    load(main).catch((error) => showError(main, error));
  };
  keyBar(bar, run);
  run();
  return main;
}

/** `2026-06-01 12:00:00` in the viewer's time zone; '—' for nothing. */
export function time(ms) {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A score with one decimal. */
export function score(value) {
  return Number.isFinite(value) ? value.toFixed(1) : '—';
}

/** The last path segment, decoded (the id of the page's release or evaluation). */
export function pathId() {
  return decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() ?? '');
}

/** A coloured badge for a decision or state. */
export function badge(text) {
  return el('span', { class: `badge badge-${String(text).toLowerCase().replace(/[^a-z]+/g, '-')}` }, text);
}
