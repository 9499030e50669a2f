// Requests: GET /admin/requests with its filters, newest first, a row's whole entry, refreshed live.
import { api } from './api.js';
import { badge, clearError, el, formValues, millis, replaceChildren, shortTime, showError, usd, when } from './dom.js';

const LIVE_EVERY_MS = 3000;
const PAGE = 50;

function statusBadge(entry) {
  const tone = entry.status < 300 ? 'ok' : entry.status < 500 ? 'warn' : 'bad';
  return badge(entry.error_type ? `${entry.status} ${entry.error_type}` : String(entry.status), tone);
}

/** The entry's fields, in the order an operator reads them. */
function details(entry) {
  const tokens = entry.tokens;
  return [
    ['Time', when(entry.time)],
    ['Status', entry.status],
    ['Error', entry.error_type ?? '—'],
    ['Route', entry.route ?? '—'],
    ['Model', entry.model],
    ['Provider', entry.provider ?? '—'],
    ['Deployment', entry.deployment ?? '—'],
    ['Key', entry.key_id ?? '—'],
    ['Agent', entry.agent_id ?? '—'],
    ['Tokens', `${tokens.prompt} prompt (${tokens.cached} cached), ${tokens.completion} completion (${tokens.reasoning} reasoning)`],
    ['Cost', usd(entry.cost_usd)],
    ['Latency', millis(entry.latency_ms)],
    ['Queue wait', millis(entry.queue_ms)],
    ['First token', millis(entry.ttft_ms)],
    ['Response cache', entry.cache],
    ['Request id', entry.request_id],
    ['Job id', entry.job_id ?? '—'],
    ['Trace id', entry.trace_id ?? '—'],
    ['Entry id', entry.id],
  ];
}

export function createRequestsView(root) {
  const filters = root.querySelector('#requests-filters');
  const tbody = root.querySelector('#requests-table tbody');
  const live = root.querySelector('#requests-live');
  const older = root.querySelector('#requests-older');
  const detail = root.querySelector('#request-detail');
  let after;
  let lastId = null;
  let selected = null;
  let timer;
  let shown = false;

  function showDetail(entry) {
    selected = entry.id;
    detail.querySelector('.hint').hidden = true;
    replaceChildren(
      detail.querySelector('dl'),
      details(entry).flatMap(([term, value]) => [el('dt', { text: term }), el('dd', { text: value })]),
    );
    for (const row of tbody.rows) row.classList.toggle('selected', row.dataset.entryId === selected);
  }

  function row(entry) {
    return el(
      'tr',
      { dataset: { entryId: entry.id }, class: entry.id === selected ? 'selected' : undefined, onclick: () => showDetail(entry) },
      el('td', { text: shortTime(entry.time), title: entry.time }),
      el('td', {}, statusBadge(entry)),
      el('td', { text: entry.route ?? '—' }),
      el('td', { text: entry.model }),
      el('td', { text: entry.provider ?? '—' }),
      el('td', { class: 'id', text: entry.key_id ?? '—' }),
      el('td', { text: millis(entry.latency_ms) }),
      el('td', { text: usd(entry.cost_usd) }),
    );
  }

  async function load() {
    const page = await api.get('/admin/requests', { ...formValues(filters), limit: PAGE, after });
    replaceChildren(tbody, page.data.length > 0 ? page.data.map(row) : [el('tr', {}, el('td', { colspan: 8, class: 'hint', text: 'No request matches.' }))]);
    lastId = page.last_id;
    older.hidden = !page.has_more;
  }

  function schedule() {
    clearTimeout(timer);
    // Live only on the newest page: an older page stays as it is while it is read.
    if (!shown || !live.checked || after !== undefined) return;
    timer = setTimeout(() => load().then(clearError, showError).finally(schedule), LIVE_EVERY_MS);
  }

  const reload = () => load().then(clearError, showError).finally(schedule);

  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    after = undefined;
    reload();
  });
  live.addEventListener('change', schedule);
  older.addEventListener('click', () => {
    after = lastId ?? undefined;
    reload();
  });
  root.querySelector('#requests-newest').addEventListener('click', () => {
    after = undefined;
    reload();
  });

  return {
    async show() {
      shown = true;
      await load();
      schedule();
    },
    hide() {
      shown = false;
      clearTimeout(timer);
    },
  };
}
