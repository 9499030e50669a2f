// Small DOM and formatting helpers. Numbers are shown as the admin APIs give them: formatted, never derived.

/** An element with properties (`class`, `text`, `title`, `href`, `dataset`, `on<event>`) and children. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = String(value);
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function replaceChildren(parent, children) {
  parent.replaceChildren(...children);
}

/** USD with three significant digits below a dollar ($0.000123), cents above. */
export function usd(value) {
  if (value === null || value === undefined) return '—';
  if (value === 0) return '$0';
  if (value >= 1) return `$${value.toFixed(2)}`;
  return `$${value.toFixed(Math.min(10, 2 - Math.floor(Math.log10(value))))}`;
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '—';
}

/** Month, day and time, in the browser's time zone (the row's whole time is its title and in its details). */
export function shortTime(iso) {
  return new Date(iso).toLocaleString(undefined, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function millis(ms) {
  if (ms === null || ms === undefined) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export function age(seconds) {
  if (!seconds) return '—';
  if (seconds < 90) return `${seconds.toFixed(1)} s`;
  if (seconds < 5400) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** A value and its limit (`3 / 10`, `3 / ∞`; `—` where not counted). */
export function ofLimit(value, limit) {
  return `${value ?? '—'} / ${limit ?? '∞'}`;
}

export function badge(text, tone) {
  return el('span', { class: `badge ${tone}`, text });
}

export function circuitBadge(state) {
  return badge(state.replace('_', '-'), state === 'closed' ? 'ok' : state === 'open' ? 'bad' : 'warn');
}

const status = () => document.getElementById('status');

export function showError(error) {
  const bar = status();
  bar.textContent = error instanceof Error ? error.message : String(error);
  bar.hidden = false;
}

export function clearError() {
  status().hidden = true;
}

/** The non-empty fields of a form, as strings. */
export function formValues(form) {
  const values = {};
  for (const [name, value] of new FormData(form)) {
    if (typeof value === 'string' && value.trim() !== '') values[name] = value.trim();
  }
  return values;
}
