// Providers and deployments (GET /admin/providers): circuits, pauses, capacity in use, failovers and last errors;
// the lanes and queues (GET /admin/lanes), with Bull Board a link away. Refreshed while shown.
import { api } from './api.js';
import { age, circuitBadge, clearError, el, ofLimit, replaceChildren, showError, when } from './dom.js';

const REFRESH_EVERY_MS = 3000;
const ERRORS_SHOWN = 3;
const states = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'];

// With deployments declared, a provider's circuit is the one they make together: say how many of them are out.
function deploymentsHint(circuit) {
  if (circuit.source !== 'deployments') return null;
  const { closed, open, half_open: halfOpen } = circuit.deployments;
  const total = closed + open + halfOpen;
  const out = open + halfOpen;
  const deployments = `deployment${total === 1 ? '' : 's'}`;
  return el('div', { class: 'hint', text: out === 0 ? `${total} ${deployments}, none out` : `${out} of ${total} ${deployments} out` });
}

function providerRow(provider) {
  return el(
    'tr',
    { dataset: { provider: provider.id } },
    el('td', {}, provider.id, provider.deprecated ? el('div', { class: 'hint', text: 'deprecated' }) : null),
    el('td', { text: provider.configured ? provider.role : `${provider.role} (not configured)` }),
    el(
      'td',
      {},
      circuitBadge(provider.circuit.state),
      deploymentsHint(provider.circuit),
      provider.circuit.opened_at ? el('div', { class: 'hint', text: `since ${when(provider.circuit.opened_at)}` }) : null,
    ),
    el('td', { text: provider.circuit.consecutive_failures }),
    el('td', { text: provider.calls }),
    el('td', { text: provider.failures }),
    el('td', { text: provider.failovers }),
    el('td', { text: provider.skipped }),
  );
}

function errorList(errors) {
  if (!errors || errors.length === 0) return el('span', { class: 'hint', text: 'none' });
  return el(
    'ul',
    { class: 'errors' },
    errors
      .slice(0, ERRORS_SHOWN)
      .map((error) =>
        el(
          'li',
          {},
          el('strong', { text: `${error.type}${error.status === null ? '' : ` ${error.status}`}` }),
          ` ${when(error.time)} ${error.model}: ${error.message}`,
        ),
      ),
  );
}

function deploymentRow(deployment, errors) {
  const { limits } = deployment;
  return el(
    'tr',
    { dataset: { deployment: deployment.id } },
    el('td', {}, deployment.id, el('div', { class: 'hint', text: deployment.implicit ? 'implicit' : `weight ${deployment.weight}` })),
    el('td', { text: deployment.provider }),
    el('td', {}, circuitBadge(deployment.circuit.state)),
    el('td', { text: ofLimit(deployment.in_flight, limits.max_concurrency) }),
    el('td', { text: ofLimit(deployment.requests, limits.rpm) }),
    el('td', { text: ofLimit(deployment.tokens, limits.tpm) }),
    el('td', { text: deployment.paused_until ? when(deployment.paused_until) : '—' }),
    el('td', { class: 'wrap' }, errorList(errors)),
  );
}

export function createProvidersView(root) {
  let timer;
  let shown = false;

  function render(providers, lanes) {
    replaceChildren(root.querySelector('#providers-table tbody'), providers.providers.map(providerRow));
    replaceChildren(
      root.querySelector('#deployments-table tbody'),
      providers.deployments.map((deployment) => deploymentRow(deployment, providers.recent_errors[deployment.id])),
    );
    replaceChildren(
      root.querySelector('#lanes-table tbody'),
      lanes.lanes.map((lane) =>
        el('tr', {}, el('td', { text: lane.lane }), el('td', { text: lane.waiting }), el('td', { text: age(lane.oldest_age_seconds) })),
      ),
    );
    replaceChildren(
      root.querySelector('#lanes-tenants'),
      lanes.tenants.length > 0
        ? lanes.tenants.map((tenant) => el('li', { text: `${tenant.lane}: ${tenant.tenant}, ${tenant.backlog} rounds waiting` }))
        : [el('li', { class: 'hint', text: 'No tenant is waiting.' })],
    );
    replaceChildren(root.querySelector('#queues-table'), [
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', { text: 'Queue' }),
          states.map((state) => el('th', { text: state })),
        ),
      ),
      el(
        'tbody',
        {},
        Object.entries(lanes.queues).map(([name, counts]) =>
          el(
            'tr',
            {},
            el('td', { text: name }),
            states.map((state) => el('td', { text: counts[state] ?? 0 })),
          ),
        ),
      ),
    ]);
    root.querySelector('#bull-board').href = lanes.bull_board;
  }

  async function load() {
    const [providers, lanes] = await Promise.all([api.get('/admin/providers'), api.get('/admin/lanes')]);
    render(providers, lanes);
  }

  function schedule() {
    clearTimeout(timer);
    if (shown) timer = setTimeout(() => load().then(clearError, showError).finally(schedule), REFRESH_EVERY_MS);
  }

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
