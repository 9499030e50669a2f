// Spend: GET /admin/spend per UTC day by model, provider, key or agent, as charts (Chart.js) and a table.
import { api } from './api.js';
import { clearError, el, replaceChildren, showError, usd } from './dom.js';

const palette = ['#2457c5', '#e07b00', '#1e7b34', '#b3261e', '#7b3fb5', '#00838f', '#9e6b00', '#c2185b', '#546e7a', '#6d4c41', '#8d99ae'];
const labels = { by_model: 'model', by_provider: 'provider', by_key: 'key', by_agent: 'agent' };

export function createSpendView(root) {
  const controls = root.querySelector('#spend-controls');
  const summary = root.querySelector('#spend-summary');
  const tbody = root.querySelector('#spend-table tbody');
  const ledger = controls.elements.key_id;
  const byKeyOption = controls.elements.by.querySelector('option[value="by_key"]');
  const charts = {};
  let keyNames = new Map();

  /** The key list for the ledger picker and for naming keys in the charts. */
  async function loadKeys() {
    const page = await api.get('/admin/keys');
    keyNames = new Map(page.data.map((key) => [key.id, key.name]));
    const chosen = ledger.value;
    replaceChildren(ledger, [
      el('option', { value: '', text: 'the whole gateway' }),
      ...page.data.map((key) => el('option', { value: key.id, text: `key ${key.name} (${key.id})` })),
    ]);
    ledger.value = keyNames.has(chosen) ? chosen : '';
  }

  const display = (by, name) => (by === 'by_key' && keyNames.has(name) ? `${keyNames.get(name)} (${name})` : name);

  function chart(id, config) {
    charts[id]?.destroy();
    charts[id] = new window.Chart(root.querySelector(`#${id}`), config);
  }

  function render(history, by) {
    const totals = history.total[by] ?? {};
    // Largest first, as the API ranked them.
    const names = Object.keys(totals).sort((a, b) => totals[b] - totals[a]);
    const colour = (index) => palette[index % palette.length];
    chart('spend-daily', {
      type: 'bar',
      data: {
        labels: history.data.map((day) => day.day.slice(5)),
        datasets: names.map((name, index) => ({
          label: display(by, name),
          data: history.data.map((day) => day[by]?.[name] ?? 0),
          backgroundColor: colour(index),
        })),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
        plugins: { tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${usd(item.parsed.y)}` } } },
      },
    });
    chart('spend-total', {
      type: 'bar',
      data: {
        labels: names.map((name) => display(by, name)),
        datasets: [{ label: `USD by ${labels[by]}`, data: names.map((name) => totals[name]), backgroundColor: names.map((_, index) => colour(index)) }],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: 'y',
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (item) => usd(item.parsed.x) } } },
      },
    });
    const total = history.total;
    replaceChildren(
      summary,
      [
        ['Spent', usd(total.spent_usd)],
        ['Requests billed', total.jobs],
        ['Prompt tokens', total.tokens.prompt],
        ['Completion tokens', total.tokens.completion],
        ['Window', `${history.from} → ${history.to} (UTC)`],
      ].map(([term, value]) => el('div', {}, el('dt', { text: term }), el('dd', { text: value }))),
    );
    replaceChildren(
      tbody,
      names.length > 0
        ? names.map((name) => el('tr', {}, el('td', { text: display(by, name) }), el('td', { text: usd(totals[name]) })))
        : [el('tr', {}, el('td', { colspan: 2, class: 'hint', text: 'Nothing billed in this window.' }))],
    );
  }

  async function load() {
    const values = Object.fromEntries(new FormData(controls));
    // A key's own ledger has no breakdown by key.
    byKeyOption.disabled = values.key_id !== '';
    if (values.key_id !== '' && values.by === 'by_key') controls.elements.by.value = values.by = 'by_model';
    const history = await api.get('/admin/spend', { days: values.days, key_id: values.key_id, top: 10 });
    render(history, values.by);
  }

  controls.addEventListener('change', () => load().then(clearError, showError));

  return {
    async show() {
      await loadKeys();
      await load();
    },
    hide() {},
  };
}
