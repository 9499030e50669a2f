// Keys: list (with each key's spend today and this month against its budgets), create, edit, rotate, revoke.
import { api } from './api.js';
import { badge, clearError, el, formValues, replaceChildren, showError, usd, when } from './dom.js';

const numberFields = ['daily_budget_usd', 'monthly_budget_usd', 'rate_rps', 'rate_burst'];
const textFields = ['name', 'agent_id', 'expires_at'];

const modelsOf = (text) =>
  text
    .split(/[\s,]+/)
    .map((model) => model.trim())
    .filter(Boolean);

/** The body of POST /admin/keys from the form (empty fields left out). */
function createBody(form) {
  const values = formValues(form);
  const body = {};
  for (const name of textFields) if (values[name] !== undefined) body[name] = values[name];
  for (const name of numberFields) if (values[name] !== undefined) body[name] = Number(values[name]);
  if (values.models !== undefined) body.models = modelsOf(values.models);
  return body;
}

/** Whether a field's new value is its current one (times compared as instants). */
function unchanged(name, value, current) {
  if (name === 'expires_at' && value !== null && current !== null) return Date.parse(value) === Date.parse(current);
  return JSON.stringify(value) === JSON.stringify(current ?? null);
}

/** The PATCH of the fields the edit form changed; an emptied field is cleared (`null`), the name never. */
function patchOf(form, key) {
  const data = new FormData(form);
  const read = (name) => String(data.get(name) ?? '').trim();
  const next = { models: read('models') === '' ? null : modelsOf(read('models')) };
  for (const name of textFields) next[name] = read(name) === '' ? null : read(name);
  for (const name of numberFields) next[name] = read(name) === '' ? null : Number(read(name));
  if (next.name === null) delete next.name;
  return Object.fromEntries(Object.entries(next).filter(([name, value]) => !unchanged(name, value, key[name])));
}

function periodCell(period) {
  const spent = `${usd(period.spent_usd)}${period.budget_usd === null ? '' : ` of ${usd(period.budget_usd)}`}`;
  const inFlight = period.in_flight_usd > 0 ? el('div', { class: 'hint', text: `${usd(period.in_flight_usd)} in flight` }) : null;
  const meter =
    period.budget_usd === null ? null : el('meter', { min: 0, max: period.budget_usd || 1, high: (period.budget_usd || 1) * 0.8, value: period.spent_usd });
  return el('td', {}, spent, meter, inFlight);
}

export function createKeysView(root) {
  const createForm = root.querySelector('#key-create');
  const tbody = root.querySelector('#keys-table tbody');
  const secretBox = root.querySelector('#secret-box');
  const secretTitle = root.querySelector('#secret-title');
  const secretValue = root.querySelector('#secret-value');
  const copiedNote = root.querySelector('#secret-copied');
  const dialog = root.querySelector('#key-edit');
  const editForm = root.querySelector('#key-edit-form');
  const editError = root.querySelector('#key-edit-error');
  let editing = null;

  function showSecret(title, secret) {
    secretTitle.textContent = title;
    secretValue.textContent = secret;
    copiedNote.textContent = '';
    secretBox.hidden = false;
  }

  root.querySelector('#secret-copy').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(secretValue.textContent);
      copiedNote.textContent = 'Copied to the clipboard.';
    } catch {
      // Without clipboard access: select it for the operator's own copy.
      window.getSelection().selectAllChildren(secretValue);
      copiedNote.textContent = 'Selected: press Ctrl+C (or ⌘C) to copy it.';
    }
  });
  root.querySelector('#secret-done').addEventListener('click', () => {
    secretValue.textContent = '';
    secretBox.hidden = true;
  });

  async function act(work) {
    try {
      await work();
      clearError();
    } catch (error) {
      showError(error);
    }
  }

  function openEditor(key) {
    editing = key;
    root.querySelector('#key-edit-name').textContent = key.name;
    for (const name of [...textFields, ...numberFields]) editForm.elements[name].value = key[name] ?? '';
    editForm.elements.models.value = (key.models ?? []).join('\n');
    editError.textContent = '';
    dialog.showModal();
  }

  root.querySelector('#key-edit-cancel').addEventListener('click', () => dialog.close());
  editForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const patch = patchOf(editForm, editing);
    if (Object.keys(patch).length === 0) return dialog.close();
    try {
      await api.send('PATCH', `/admin/keys/${encodeURIComponent(editing.id)}`, patch);
      dialog.close();
      await load();
    } catch (error) {
      editError.textContent = error.message;
    }
  });

  createForm.addEventListener('submit', (event) => {
    event.preventDefault();
    act(async () => {
      const created = await api.send('POST', '/admin/keys', createBody(createForm));
      showSecret(`Key “${created.name}” created (${created.id})`, created.key);
      createForm.reset();
      await load();
    });
  });

  const rotate = (key) =>
    act(async () => {
      if (!window.confirm(`Rotate ${key.name}? Its current secret stops working at once.`)) return;
      const rotated = await api.send('POST', `/admin/keys/${encodeURIComponent(key.id)}/rotate`);
      showSecret(`Key “${rotated.name}” rotated: its new secret`, rotated.key);
      await load();
    });
  const revoke = (key) =>
    act(async () => {
      if (!window.confirm(`Revoke ${key.name}? Its calls are refused from now on.`)) return;
      await api.send('DELETE', `/admin/keys/${encodeURIComponent(key.id)}`);
      await load();
    });

  function row(key) {
    const status = key.revoked_at
      ? badge(`revoked ${when(key.revoked_at)}`, 'bad')
      : key.expires_at
        ? badge(`expires ${when(key.expires_at)}`, 'warn')
        : badge('active', 'ok');
    const rate = key.rate_rps === null ? 'default' : `${key.rate_rps}/s, burst ${key.rate_burst ?? 'default'}`;
    const actions = key.revoked_at
      ? el('td')
      : el(
          'td',
          {},
          el('button', { type: 'button', class: 'small quiet', text: 'Edit', onclick: () => openEditor(key) }),
          ' ',
          el('button', { type: 'button', class: 'small quiet', text: 'Rotate', onclick: () => rotate(key) }),
          ' ',
          el('button', { type: 'button', class: 'small danger', text: 'Revoke', onclick: () => revoke(key) }),
        );
    return el(
      'tr',
      { dataset: { keyId: key.id } },
      el('td', {}, el('div', { text: key.name }), el('div', { class: 'id', text: `${key.id} · ${key.key_prefix}…` })),
      el('td', { text: key.agent_id ?? '—' }),
      el('td', { class: 'wrap', text: key.models ? key.models.join(', ') : 'all' }),
      periodCell(key.spend.day),
      periodCell(key.spend.month),
      el('td', { text: rate }),
      el('td', {}, status),
      actions,
    );
  }

  async function load() {
    const page = await api.get('/admin/keys');
    // Live keys first, the newest on top; revoked ones below them.
    const keys = [...page.data].sort((a, b) => Number(a.revoked_at !== null) - Number(b.revoked_at !== null) || b.created_at.localeCompare(a.created_at));
    replaceChildren(tbody, keys.length > 0 ? keys.map(row) : [el('tr', {}, el('td', { colspan: 8, class: 'hint', text: 'No keys yet.' }))]);
  }

  return { show: load, hide() {} };
}
