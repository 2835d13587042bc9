// The portal: the network graph of observed traffic and the "Network policy generator" side panel
// (docs/stackrox-generator.md §7) on the HTTP API of `netpolgen serve`. Simulator states as
// StackRox's: ACTIVE (nothing generated), GENERATED, UNDO, UPLOAD.
import { Api, ApiError, query } from './api.js';
import { GraphView } from './graph.js';
import { displayYaml, readPolicies } from './policy_yaml.js';

const $ = (id) => document.getElementById(id);
const api = new Api();
const graph = new GraphView($('graph'));

const state = {
  simulator: 'ACTIVE',
  modification: null, // {applyYaml, toDelete} shown in the viewer
  simulation: null,
  collapseChosen: false, // the user set the toggle: no automatic collapse any more
  tab: 'generate', // the panel's tab: generate or active ("View active YAMLs")
  active: [], // the active policies listed there: {namespace, name, yaml}
  busy: 0,
  sourceCommits: null, // commits of serve's flow source when last polled
};
// For the browser tests and for poking at from the console.
window.netpolgen = { api, graph, state, get cy() { return graph.cy; } };

function fragmentParam(name) {
  return new URLSearchParams(location.hash.replace(/^#/, '')).get(name) || '';
}
$('cluster').value = fragmentParam('cluster') || 'default';
const cluster = () => encodeURIComponent($('cluster').value.trim() || 'default');

function setStatus(text) { $('status').textContent = text; }
function showError(err) {
  $('panel-error').textContent = err ? (err.message || String(err)) : '';
}

async function busy(label, fn) {
  state.busy++;
  document.body.classList.add('busy');
  setStatus(label);
  try {
    return await fn();
  } catch (err) {
    showError(err);
    setStatus(`${label} failed`);
    throw err;
  } finally {
    state.busy--;
    if (!state.busy) document.body.classList.remove('busy');
  }
}

function selectedNamespaces() {
  return [...$('namespaces').selectedOptions].map((o) => o.value);
}

// The scope as the generate endpoint's `query` (StackRox's search syntax).
function scopeQuery() {
  const parts = [];
  const ns = selectedNamespaces();
  if (ns.length) parts.push(`Namespace:${ns.join(',')}`);
  const w = $('workload').value.trim();
  if (w) parts.push(`Deployment:${w}`);
  return parts.join('+');
}

function describeScope() {
  const ns = selectedNamespaces();
  const w = $('workload').value.trim();
  $('scope').textContent = `Scope: cluster ${decodeURIComponent(cluster())}, ` +
    `${ns.length ? `namespaces ${ns.join(', ')}` : 'all namespaces'}` +
    `${w ? `, workload ${w}` : ''}${$('since').value ? `, traffic of the ${$('since').selectedOptions[0].text}` : ''}`;
}

async function loadNamespaces() {
  const res = await api.get(`/v1/namespaces/${cluster()}`);
  const select = $('namespaces');
  const chosen = new Set(selectedNamespaces());
  select.replaceChildren(...res.namespaces.map((n) => {
    const o = document.createElement('option');
    o.value = o.textContent = n.name;
    o.selected = chosen.has(n.name);
    return o;
  }));
  select.size = Math.min(6, Math.max(2, res.namespaces.length));
}

async function loadGraph() {
  describeScope();
  await busy('Loading the network graph…', async () => {
    const params = { since: $('since').value, namespaces: selectedNamespaces().join(',') };
    // Until the user sets the toggle the server decides: workloads up to its limit (2,000 in
    // view, as StackRox), namespaces above; it refuses collapse=none beyond the limit.
    const choice = state.collapseChosen ? ($('collapse').checked ? 'namespaces' : 'none') : 'auto';
    const data = await api.get(`/v1/graph/${cluster()}${query({ ...params, collapse: choice })}`);
    const collapsed = data.collapse === 'namespaces';
    $('collapse').checked = collapsed;
    const drawn = graph.render(data, collapsed);
    graph.highlight($('workload').value);
    $('graph-count').textContent = `${drawn} nodes, ${data.edges.length} edges`;
    if (state.simulation) drawSimulation();
    setStatus(`Graph: ${drawn} nodes, ${data.edges.length} edges${data.notice ? ` (${data.notice})` : ''}`);
  });
}

function drawSimulation() {
  const counts = graph.showSimulation(state.simulation);
  const s = state.simulation.policySummary || {};
  const totals = (state.simulation.replay && state.simulation.replay.totals) || {};
  const blocked = totals.newlyBlocked ? totals.newlyBlocked.edges : 0;
  $('sim-summary').textContent =
    `${s.added || 0} added, ${s.modified || 0} modified, ${s.deleted || 0} deleted, ` +
    `${s.unchanged || 0} unchanged; observed connections that would be blocked: ${blocked} ` +
    `(${counts.blocked} edges marked on the graph)`;
  $('sim-summary').dataset.blocked = String(blocked);
}

// Shows a modification in the viewer and simulates it.
async function showModification(modification, simulator, title, warnings = []) {
  state.modification = modification;
  state.simulator = simulator;
  state.simulation = null;
  graph.clearSimulation();
  $('result').hidden = false;
  $('result-title').textContent = title;
  showWarnings(warnings);
  $('yaml').textContent = displayYaml(modification);
  $('sim-summary').textContent = '';
  document.body.dataset.simulator = simulator;
  document.body.dataset.simulated = 'false';
  await busy('Simulating…', async () => {
    let sim;
    try {
      sim = await api.post(`/v1/networkpolicies/simulate/${cluster()}${query({ networkDataSince: $('since').value })}`, modification);
    } catch (err) {
      if (err instanceof ApiError && err.body && err.body.policies) sim = err.body; // does not apply
      else throw err;
      showError(err);
    }
    // Statuses come as StackRox's enum names (ADDED, …); the panel uses the lower-case keys of
    // policySummary.
    for (const p of sim.policies || []) p.status = String(p.status).toLowerCase();
    state.simulation = sim;
    drawSimulation();
    document.body.dataset.simulated = 'true';
    setStatus('Simulated');
  });
}

// What the server warned about the policies shown (e.g. stored traffic that maps onto no
// workload, so the policies deny everything); hidden when there is nothing to say.
function showWarnings(warnings) {
  const list = $('warnings');
  list.replaceChildren(...(warnings || []).map((w) => {
    const li = document.createElement('li');
    li.textContent = w;
    return li;
  }));
  list.hidden = list.children.length === 0;
}

async function generate() {
  showError(null);
  document.body.dataset.simulated = 'false'; // until this one's simulation is drawn
  const res = await busy('Generating…', () => api.get(`/v1/networkpolicies/generate/${cluster()}${query({
    query: scopeQuery(),
    networkDataSince: $('since').value,
    includePorts: $('exclude-ports').checked ? 'false' : 'true',
    selectors: $('minimal-selectors').checked ? 'minimal' : 'stackrox',
  })}`));
  // The server's warnings (unresolved or left-out traffic) stay next to the policies they explain.
  await showModification(res.modification, 'GENERATED', 'Generated network policies', res.warnings);
}

async function upload(file) {
  showError(null);
  if (!/\.ya?ml$/i.test(file.name)) {
    showError(new Error('File must be .yaml or .yml'));
    return;
  }
  document.body.dataset.simulated = 'false';
  const text = await file.text();
  await showModification({ applyYaml: text, toDelete: [] }, 'UPLOAD', `Uploaded: ${file.name}`);
}

async function revert() {
  showError(null);
  document.body.dataset.simulated = 'false'; // until this one's simulation is drawn
  const res = await busy('Loading the last applied change…', () => api.get(`/v1/networkpolicies/undo/${cluster()}`));
  await showModification(res.undoRecord.undoModification, 'UNDO', 'Revert rules to previously applied YAML');
}

async function apply() {
  showError(null);
  if (!state.modification) return;
  const res = await busy('Applying (recording)…', () => api.post(`/v1/networkpolicies/apply/${cluster()}`, state.modification));
  const c = res.counts || {};
  setStatus(`Applied #${res.applyId}: ${c.created || 0} created, ${c.replaced || 0} replaced, ${c.deleted || 0} deleted`);
  await loadHistory();
}

async function loadHistory() {
  const res = await api.get(`/v1/networkpolicies/history/${cluster()}`);
  $('history').tBodies[0].replaceChildren(...res.applies.slice().reverse().map((a) => {
    const tr = document.createElement('tr');
    for (const v of [a.id, a.action + (a.revertsTo ? ` (to #${a.revertsTo})` : ''), a.applyTimestamp, a.user]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    return tr;
  }));
}

function saveFile(text, fileName) {
  const blob = new Blob([text], { type: 'application/yaml' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = document.createElement('textarea'); // no clipboard permission: the old way
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  setStatus('YAML copied');
}

// The file is the modification's applyYaml exactly, as StackRox's Download.
function downloadYaml() { saveFile(state.modification.applyYaml, 'networkPolicy.yml'); }
function copyYaml() { return copyText(state.modification.applyYaml); }

// "View active YAMLs" (StackRox's simulator tab): the network policies of the cluster as recorded
// (the latest snapshot plus the applies and reverts since) in the scope's namespaces, one at a
// time, read-only.
function selectedActive() {
  return state.active.find((p) => `${p.namespace}/${p.name}` === $('active-policy').value) || null;
}

function showActive() {
  const p = selectedActive();
  $('active-yaml').textContent = p ? p.yaml : '';
  $('active-yaml').hidden = !p;
  for (const id of ['active-copy', 'active-download']) $(id).disabled = !p;
}

async function loadActive() {
  const ns = selectedNamespaces();
  $('active-scope').textContent = ns.length ? `Network policies in namespaces ${ns.join(', ')}`
    : 'Network policies in all namespaces';
  document.body.dataset.active = 'loading';
  const res = await busy('Loading active network policies…', () => api.get(`/v1/networkpolicies${query({
    clusterId: decodeURIComponent(cluster()), namespace: ns.join(','),
  })}`));
  const chosen = $('active-policy').value;
  state.active = res.networkPolicies;
  $('active-policy').replaceChildren(...state.active.map((p) => {
    const o = document.createElement('option');
    o.value = o.textContent = `${p.namespace}/${p.name}`;
    return o;
  }));
  if (state.active.some((p) => `${p.namespace}/${p.name}` === chosen)) $('active-policy').value = chosen;
  $('active-empty').hidden = state.active.length > 0;
  $('active-choice').hidden = state.active.length === 0;
  showActive();
  document.body.dataset.active = String(state.active.length);
  setStatus(`${state.active.length} active network policies`);
}

function downloadActive() {
  const p = selectedActive();
  if (p) saveFile(p.yaml, `${p.namespace}-${p.name}.yml`);
}

function copyActive() {
  const p = selectedActive();
  return p ? copyText(p.yaml) : undefined;
}

// The active policies are read anew each time their tab opens (an apply changes them).
function showTab(tab) {
  state.tab = tab;
  for (const [name, view] of [['generate', 'generate-view'], ['active', 'active-view']]) {
    $(view).hidden = name !== tab;
    $(`tab-${name}`).setAttribute('aria-selected', String(name === tab));
  }
  return tab === 'active' ? loadActive() : undefined;
}

function pre(text, cls) {
  const p = document.createElement('pre');
  p.className = `yaml ${cls || ''}`;
  p.textContent = text;
  return p;
}

// Existing and generated side by side, one row per policy the simulation lists as changed, then
// the unchanged existing ones in the scope's namespaces.
async function compare() {
  const sim = state.simulation || { policies: [] };
  const rows = [];
  const newPolicies = readPolicies(state.modification.applyYaml);
  const nsScope = new Set(selectedNamespaces());
  const existing = await busy('Loading existing policies…', () => api.get(`/v1/networkpolicies${query({ clusterId: decodeURIComponent(cluster()) })}`));
  const existingByKey = new Map(existing.networkPolicies.map((p) => [`${p.namespace}/${p.name}`, p.yaml]));
  for (const p of sim.policies) {
    const key = `${p.namespace}/${p.name}`;
    const inScope = !nsScope.size || nsScope.has(p.namespace);
    if (p.status === 'unchanged' && !inScope) continue;
    const generated = newPolicies.find((q) => q.namespace === p.namespace && q.name === p.name);
    const before = p.oldPolicyYaml || (p.status !== 'added' ? existingByKey.get(key) : '') || '';
    const after = p.status === 'deleted' ? '' : p.status === 'unchanged' ? before : (generated ? generated.yaml : '');
    rows.push({ key, status: p.status, before, after });
  }
  const container = $('compare-rows');
  const head = document.createElement('div');
  head.className = 'compare-row compare-head';
  head.append(Object.assign(document.createElement('h3'), { textContent: 'Existing network policies' }),
    Object.assign(document.createElement('h3'), { textContent: 'Generated network policies' }));
  container.replaceChildren(head, ...rows.map((r) => {
    const row = document.createElement('div');
    row.className = `compare-row status-${r.status}`;
    row.dataset.policy = r.key;
    const title = Object.assign(document.createElement('h4'), { textContent: `${r.key} (${r.status})` });
    row.append(title, pre(r.before || '(none)'), pre(r.after || (r.status === 'deleted' ? '(deleted)' : '(none)')));
    return row;
  }));
  if (!rows.length) container.append(pre('No network policies exist in the current scope'));
  $('compare-dialog').showModal();
  setStatus(`Compare: ${rows.length} policies`);
}

// The share dialog's checkboxes; the choices made survive a refresh (after a notifier change).
function fillShareList(notifiers) {
  const list = $('notifier-list');
  const chosen = new Set([...list.querySelectorAll('input:checked')].map((b) => b.value));
  list.replaceChildren(...(notifiers.length ? notifiers.map((n) => {
    const label = document.createElement('label');
    const box = Object.assign(document.createElement('input'), { type: 'checkbox', value: n.id, checked: chosen.has(n.id) });
    label.append(box, ` ${n.name} (${n.type})`);
    return label;
  }) : [Object.assign(document.createElement('p'), { textContent: 'No notifiers configured (serve --notifiers FILE, or Manage notifiers).' })]));
}

async function share() {
  const res = await busy('Loading notifiers…', () => api.get('/v1/notifiers'));
  $('share-result').textContent = '';
  $('notifier-list').replaceChildren();
  fillShareList(res.notifiers);
  $('share-dialog').showModal();
  setStatus(`${res.notifiers.length} notifiers`);
}

// "Manage notifiers": list, add (a JSON template per type), edit, test and delete those created
// through the API (GET/POST/PUT/DELETE /v1/notifiers, POST /v1/notifiers/test). Secrets come masked
// from the server ("******", which PUT keeps while their route stays: URL, TLS, recipients) and
// are never put back on the page. A private CA is given as PEM text (caCert): the API takes no
// file paths.
const NOTIFIER_TEMPLATES = {
  webhook: { url: 'https://hooks.example.com/np', extraFields: [], headers: [], username: '', password: '',
    caCert: '', skipTlsVerify: false },
  slack: { webhookUrl: 'https://hooks.slack.com/services/…' },
  teams: { webhookUrl: 'https://example.webhook.office.com/…' },
  email: { server: 'smtp.example.com:587', startTLS: 'require', username: '', password: '',
    from: 'np@example.com', to: ['sec@example.com'] },
  jira: { url: 'https://jira.example.com', project: 'SEC', issueType: 'Task', username: '', token: '' },
};

function notifierTemplate(type) {
  return JSON.stringify({ name: '', type, [type]: NOTIFIER_TEMPLATES[type] }, null, 2);
}

// Where a notifier sends, as the server shows it (the secret parts masked).
function notifierDestination(n) {
  const c = n[n.type] || {};
  switch (n.type) {
    case 'webhook': return c.url || '';
    case 'slack': case 'teams': return c.webhookUrl || '';
    case 'email': return `${(c.to || []).join(', ')} via ${c.server || ''}`;
    case 'jira': return `${c.url || ''} project ${c.project || ''}`;
    default: return '';
  }
}

function notifierMessage(text, ok) {
  $('notifier-result').textContent = text;
  $('notifier-result').dataset.ok = String(ok);
}

// Lists the notifiers in the dialog and, when it is open, in the share dialog.
async function loadNotifiers() {
  const res = await api.get('/v1/notifiers');
  $('notifiers-table').tBodies[0].replaceChildren(...res.notifiers.map((n) => {
    const tr = document.createElement('tr');
    tr.dataset.id = n.id;
    tr.dataset.source = n.source;
    for (const [v, cls] of [[n.name, 'name'], [n.type, 'type'], [n.source, 'source'], [notifierDestination(n), 'dest']]) {
      tr.append(Object.assign(document.createElement('td'), { textContent: v, className: cls }));
    }
    const actions = Object.assign(document.createElement('td'), { className: 'actions' });
    const test = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Test', className: 'notifier-test' });
    test.addEventListener('click', () => testNotifier(n, n.name).catch(showNotifierError));
    actions.append(test);
    if (n.source === 'api') {
      const edit = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Edit', className: 'notifier-edit' });
      edit.addEventListener('click', () => editNotifier(n).catch(showNotifierError));
      actions.append(' ', edit);
      const del = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Delete', className: 'notifier-delete' });
      del.addEventListener('click', () => deleteNotifier(n).catch(showNotifierError));
      actions.append(' ', del);
    } else {
      actions.append(Object.assign(document.createElement('span'), { className: 'muted', textContent: ' (file, read-only)' }));
    }
    tr.append(actions);
    return tr;
  }));
  $('notifiers-empty').hidden = res.notifiers.length > 0;
  if ($('share-dialog').open) fillShareList(res.notifiers);
  $('notifiers-dialog').dataset.count = String(res.notifiers.length);
  return res.notifiers;
}

function showNotifierError(err) {
  console.error(err);
  $('notifier-error').textContent = err.message || String(err);
}

async function manageNotifiers() {
  $('notifier-error').textContent = '';
  notifierMessage('', true);
  if (!$('notifier-json').value.trim()) $('notifier-json').value = notifierTemplate($('notifier-type').value);
  await busy('Loading notifiers…', loadNotifiers);
  if (!$('notifiers-dialog').open) $('notifiers-dialog').showModal();
  setStatus('Notifiers');
}

// The id of the notifier the text box edits (Save puts it), or '' when adding (Save posts).
let editingNotifier = '';

function setNotifierMode(id) {
  editingNotifier = id;
  $('notifiers-dialog').dataset.editing = id;
  $('notifier-form-title').textContent = id ? `Edit notifier ${id}` : 'Add notifier';
  $('notifier-type-label').hidden = Boolean(id);
  $('notifier-cancel').hidden = !id;
}

// Loads the notifier as GET shows it (secrets masked) into the text box; Save then puts it.
async function editNotifier(n) {
  $('notifier-error').textContent = '';
  notifierMessage('', true);
  const shown = await api.get(`/v1/notifiers/${encodeURIComponent(n.id)}`);
  $('notifier-json').value = JSON.stringify(shown, null, 2);
  setNotifierMode(n.id);
  $('notifier-json').focus();
}

function cancelEditNotifier() {
  $('notifier-error').textContent = '';
  notifierMessage('', true);
  setNotifierMode('');
  $('notifier-json').value = notifierTemplate($('notifier-type').value);
}

async function saveNotifier() {
  $('notifier-error').textContent = '';
  notifierMessage('', true);
  try {
    const id = editingNotifier;
    const text = $('notifier-json').value;
    const n = id ? await api.putText(`/v1/notifiers/${encodeURIComponent(id)}`, text)
      : await api.postText('/v1/notifiers', text);
    // The typed secrets leave the page with the text.
    setNotifierMode('');
    $('notifier-json').value = notifierTemplate($('notifier-type').value);
    notifierMessage(id ? `Saved ${n.name} (${n.id})` : `Added ${n.name} (${n.id})`, true);
  } catch (err) {
    $('notifier-error').textContent = err.message; // 400: the server names the field
    return;
  }
  await loadNotifiers();
}

// Sends the server's test message: a listed notifier as listed (the server puts back its masked
// secrets), or the one in the text box before saving.
async function testNotifier(body, label) {
  $('notifier-error').textContent = '';
  notifierMessage(`Testing ${label}…`, true);
  try {
    if (typeof body === 'string') await api.postText('/v1/notifiers/test', body);
    else await api.post('/v1/notifiers/test', body);
    notifierMessage(`${label}: test message sent`, true);
  } catch (err) {
    notifierMessage('', false);
    $('notifier-error').textContent = `${label}: ${err.message}`;
  }
}

async function deleteNotifier(n) {
  $('notifier-error').textContent = '';
  await api.delete(`/v1/notifiers/${encodeURIComponent(n.id)}`);
  if (editingNotifier === n.id) cancelEditNotifier();
  notifierMessage(`Deleted ${n.name}`, true);
  await loadNotifiers();
}

async function sendToNotifiers() {
  const ids = [...$('notifier-list').querySelectorAll('input:checked')].map((b) => b.value);
  if (!ids.length) {
    $('share-result').textContent = 'Choose at least one notifier.';
    return;
  }
  try {
    const res = await api.post(`/v1/networkpolicies/simulate/${cluster()}/notify${query({ notifierIds: ids.join(',') })}`, state.modification);
    $('share-result').textContent = res.results.map((r) => `${r.name}: ${r.ok ? 'sent' : r.error}`).join('; ');
    $('share-result').dataset.ok = 'true';
  } catch (err) {
    const results = err.body && err.body.results;
    $('share-result').textContent = results ? results.map((r) => `${r.name}: ${r.ok ? 'sent' : r.error}`).join('; ') : err.message;
    $('share-result').dataset.ok = 'false';
  }
}

function on(id, event, fn) {
  $(id).addEventListener(event, (e) => {
    Promise.resolve(fn(e)).catch((err) => { console.error(err); showError(err); });
  });
}

// The graph, and the active policies when their tab is open: both follow the scope.
async function reloadScope() {
  await loadGraph();
  if (state.tab === 'active') await loadActive();
}
on('filters', 'submit', (e) => { e.preventDefault(); return reloadScope(); });
on('namespaces', 'change', reloadScope);
on('since', 'change', loadGraph);
on('collapse', 'change', () => { state.collapseChosen = true; return loadGraph(); });
on('workload', 'input', () => { graph.highlight($('workload').value); describeScope(); });
on('generate', 'click', generate);
on('upload', 'change', (e) => {
  const file = e.target.files[0];
  e.target.value = ''; // the same file again is a new upload
  return file ? upload(file) : undefined;
});
on('download', 'click', downloadYaml);
on('copy', 'click', copyYaml);
on('compare', 'click', compare);
on('apply', 'click', apply);
on('share-send', 'click', sendToNotifiers);
on('share-manage', 'click', manageNotifiers);
on('notifier-type', 'change', () => { $('notifier-json').value = notifierTemplate($('notifier-type').value); });
on('notifier-save', 'click', saveNotifier);
on('notifier-test-new', 'click', () => testNotifier($('notifier-json').value, editingNotifier ? 'the edited notifier' : 'the new notifier'));
on('notifier-cancel', 'click', cancelEditNotifier);
on('tab-generate', 'click', () => showTab('generate'));
on('tab-active', 'click', () => showTab('active'));
on('active-policy', 'change', showActive);
on('active-copy', 'click', copyActive);
on('active-download', 'click', downloadActive);
on('actions', 'change', async (e) => {
  const action = e.target.value;
  e.target.value = '';
  if (action === 'share') await share();
  else if (action === 'notifiers') await manageNotifiers();
  else if (action === 'rebuild') await generate();
  else if (action === 'revert') await revert();
});

// "42 s", "3 min", "5 h", "2 d".
function duration(seconds) {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

// The flow source serve collects from (serve --hubble-relay): its state, lag and gaps, polled.
// The graph is drawn again after each of its commits, so that it fills while the user watches.
async function pollSource() {
  let res;
  try { res = await api.get('/v1/collect'); } catch { return; }
  const s = res && res.sources && res.sources[0];
  const el = $('source');
  if (!s) { el.hidden = true; return; }
  el.hidden = false;
  el.dataset.state = s.state;
  el.dataset.committed = String(s.committed);
  el.dataset.lost = String(s.lostEvents > 0);
  const name = s.source.replace(/^relay:/, 'Hubble Relay ').replace(/^kafka:/, 'Kafka ');
  const lag = s.lagSeconds >= 0 ? `lag ${duration(s.lagSeconds)}` : 'no flow yet';
  el.textContent = `${name}: ${s.state}, ${s.committed} flows stored, ${lag}` +
    (s.lostEvents ? `, ${s.lostEvents} events lost` : '') +
    (s.reconnects ? `, ${s.reconnects} reconnects` : '');
  el.title = s.lostEvents
    ? 'The relay reported events it lost (its buffers overflowed): traffic in those gaps was never seen.'
    : 'Flows are stored every few seconds; the graph is drawn again after each commit.';
  const fresh = state.sourceCommits !== null && s.commits !== state.sourceCommits;
  state.sourceCommits = s.commits;
  if (fresh && !state.busy && document.visibilityState === 'visible') await loadGraph();
}

async function start() {
  try {
    await loadNamespaces();
    await loadGraph();
    await loadHistory();
    await pollSource();
    setInterval(pollSource, 3000);
    document.body.dataset.ready = 'true';
  } catch (err) {
    console.error(err);
    showError(err);
  }
}
start();
