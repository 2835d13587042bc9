// Browser test of the portal (web/): `netpolgen serve --demo` opened in Debian's chromium through
// playwright-core. Every step a user takes in the generator panel, checked against what the CLI
// and a local webhook receive. Screenshots of each step go to ARTIFACTS_DIR.
//
//   node tests/browser/portal.test.mjs NETPOLGEN_BINARY ARTIFACTS_DIR [FAKE_HUBBLE_RELAY]
//
// With FAKE_HUBBLE_RELAY (tests/fakes/fake_hubble_relay), `serve --demo --hubble-relay` too: the
// header shows the source, and a flow that reaches the relay shows up in the graph.
//
// NETPOLGEN_SKIP_BROWSER=1 skips it (exit 77, ctest's SKIP_RETURN_CODE); a missing chromium or
// web/dist is a failure, not a skip. CHROMIUM overrides /usr/bin/chromium.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import test from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

if (process.env.NETPOLGEN_SKIP_BROWSER === '1') {
  console.log('browser_portal: skipped (NETPOLGEN_SKIP_BROWSER=1)');
  process.exit(77);
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const binary = resolve(process.argv[2] || join(root, 'build/netpolgen'));
const artifacts = resolve(process.argv[3] || join(root, 'build/tests/browser-artifacts'));
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const fakeRelay = process.argv[4] ? resolve(process.argv[4]) : '';
// playwright-core is a devDependency of web/ (npm ci by scripts/build-web.sh).
const { chromium } = createRequire(join(root, 'web/package.json'))('playwright-core');

const STEP_TIMEOUT = 30000;

// A webhook receiver: every POST body, parsed. HTTPS with a certificate made here, as the
// notifier sends to https URLs only; the notifier trusts it through caCertFile.
async function startWebhook(dir) {
  const key = join(dir, 'hook.key');
  const cert = join(dir, 'hook.pem');
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert]);
  const received = [];
  const waiters = [];
  const server = https.createServer({ key: await readFile(key), cert: await readFile(cert) }, (req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      received.push({ path: req.url, headers: req.headers, json: JSON.parse(body) });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      waiters.splice(0).forEach((w) => w());
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const next = (count) => new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error('the webhook received nothing')), STEP_TIMEOUT);
    const check = () => {
      if (received.length >= count) { clearTimeout(timer); res(received[count - 1]); } else waiters.push(check);
    };
    check();
  });
  return { server, received, next, cert, url: `https://127.0.0.1:${server.address().port}/np` };
}

// The portal bundle under test: the web/dist beside this file (the binary's default is the web/dist
// of the source tree it was built from, which may be another checkout); NETPOLGEN_WEB_DIR overrides.
const webDir = resolve(process.env.NETPOLGEN_WEB_DIR || join(root, 'web/dist'));

// `serve --demo`, resolved with its URL once it prints the listening line.
async function startServe(args, env) {
  const child = spawn(binary, ['serve', '--demo', '--listen', '127.0.0.1:0', '--web-dir', webDir, ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => { stderr += c; });
  const url = await new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`serve printed no URL; stderr: ${stderr}`)), STEP_TIMEOUT);
    child.stdout.on('data', (c) => {
      out += c;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); res(m[1]); }
    });
    child.on('exit', (code) => rej(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return { child, url, stderr: () => stderr };
}

// A GET with the path sent as written (no normalisation of `..`), like curl --path-as-is.
function rawGet(url, path) {
  return new Promise((res, rej) => {
    const u = new URL(url);
    const req = http.request({ host: u.hostname, port: u.port, path, method: 'GET' }, (r) => {
      let body = '';
      r.on('data', (c) => { body += c; });
      r.on('end', () => res({ status: r.statusCode, type: r.headers['content-type'] || '', body }));
    });
    req.on('error', rej);
    req.end();
  });
}

test('portal', { timeout: 240000 }, async (t) => {
  await mkdir(artifacts, { recursive: true });
  const scratch = await mkdtemp(join(tmpdir(), 'netpolgen-browser-'));
  const serveTmp = join(scratch, 'tmp');
  await mkdir(serveTmp);
  const webhook = await startWebhook(scratch);
  const notifiers = join(scratch, 'notifiers.yaml');
  await writeFile(notifiers, `notifiers:\n- id: hook\n  name: test hook\n  type: webhook\n  webhook:\n    url: ${webhook.url}\n    caCertFile: ${webhook.cert}\n`);
  const expected = (await promisify(execFile)(binary, ['demo', '-q'], { maxBuffer: 1 << 26 })).stdout;
  assert.ok(expected.includes('kind: NetworkPolicy'), 'netpolgen demo printed no policies');

  const serve = await startServe(['--notifiers', notifiers], { TMPDIR: serveTmp });
  let browser;
  let page;
  const shot = (name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
  const api = async (path) => (await fetch(new URL(path, serve.url))).json();
  const lastChange = async () => (await api('/v1/networkpolicies/undo/default')).undoRecord;
  // A failed step skips the ones after it: they depend on its state. Its screenshot is kept.
  let failed = false;
  const step = (name, fn) => t.test(name, { skip: failed && 'an earlier step failed' }, async () => {
    try {
      await fn();
    } catch (err) {
      failed = true;
      if (page) await shot(`failed-${name.replace(/[^a-z0-9]+/gi, '-')}`).catch(() => {});
      throw err;
    }
  });
  try {
    await step('static files: types, no traversal, no listing, API 404 stays JSON', async () => {
      const index = await rawGet(serve.url, '/');
      assert.equal(index.status, 200);
      assert.match(index.type, /^text\/html/);
      assert.match(index.body, /<script type="module" src="app.js">/);
      const js = await rawGet(serve.url, '/app.js');
      assert.equal(js.status, 200);
      assert.match(js.type, /^application\/javascript/);
      assert.match((await rawGet(serve.url, '/app.css')).type, /^text\/css/);
      for (const path of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
        '/..%2f..%2f..%2fetc%2fpasswd', '/%2E%2E/etc/passwd', '/.hidden', '/app.js%00.html']) {
        const r = await rawGet(serve.url, path);
        assert.ok(r.status === 400 || r.status === 404, `${path}: ${r.status}`);
        assert.ok(!r.body.includes('root:'), `${path} leaked a file`);
      }
      assert.equal((await rawGet(serve.url, '/nothing-here.js')).status, 404);
      const unknown = await rawGet(serve.url, '/v1/no-such-endpoint');
      assert.equal(unknown.status, 404);
      assert.match(unknown.type, /^application\/json/);
    });

    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1500, height: 950 },
      permissions: ['clipboard-read', 'clipboard-write'] });
    page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT);
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));

    await step('the graph shows the demo', async () => {
      await page.goto(serve.url);
      await page.waitForFunction(() => document.body.dataset.ready === 'true' && window.netpolgen.cy &&
        window.netpolgen.cy.nodes().length > 0);
      const nodes = await page.evaluate(() => window.netpolgen.cy.nodes('[type = "workload"]').length);
      assert.ok(nodes >= 10, `only ${nodes} workloads drawn`);
      assert.deepEqual(pageErrors, []);
      await shot('01-graph');
    });

    // The "View active YAMLs" tab: opens it and waits for its list (`count` policies).
    const openActive = async (count) => {
      await page.click('#tab-active');
      await page.waitForFunction((n) => document.body.dataset.active === String(n), count);
    };
    await step('view active YAMLs: no active policies in the demo before an apply', async () => {
      await openActive(0);
      assert.ok(await page.isVisible('#active-empty'));
      assert.equal(await page.textContent('#active-empty'), 'No active network policies in the current scope.');
      assert.ok(!(await page.isVisible('#active-policy')));
      assert.ok(!(await page.isVisible('#generate')), 'the generator stays visible on the other tab');
      await shot('01b-active-yamls-empty');
      await page.click('#tab-generate');
      assert.ok(await page.isVisible('#generate'));
    });

    await step('collapse namespaces', async () => {
      await page.check('#collapse');
      await page.waitForFunction(() => window.netpolgen.cy.nodes('[type = "namespace"][?collapsed]').length > 0);
      await shot('02-collapsed');
      await page.uncheck('#collapse');
      await page.waitForFunction(() => window.netpolgen.cy.nodes('[type = "workload"]').length > 0);
    });

    await step('filters: namespace, time window, workload', async () => {
      const edges = () => page.evaluate(() => window.netpolgen.cy.edges().length);
      const all = await edges();
      await page.selectOption('#since', '1h'); // the demo's traffic is older than an hour
      await page.waitForFunction(() => /Graph: \d+ nodes, 0 edges/.test(document.getElementById('status').textContent));
      await page.selectOption('#since', '');
      await page.waitForFunction((n) => window.netpolgen.cy.edges().length === n &&
        /^Graph:/.test(document.getElementById('status').textContent), all);
      await page.selectOption('#namespaces', ['default']);
      await page.waitForFunction(() => /^Graph:/.test(document.getElementById('status').textContent) &&
        window.netpolgen.cy.nodes('[type = "workload"]').length > 0);
      await page.fill('#workload', 'cartservice');
      const dimmed = await page.evaluate(() => window.netpolgen.cy.nodes('.dimmed').length);
      assert.ok(dimmed > 0, 'the workload filter fades nothing');
      assert.match(await page.textContent('#scope'), /namespaces default, workload cartservice/);
      await shot('02b-filtered');
      await page.fill('#workload', '');
      await page.selectOption('#namespaces', []);
      await page.waitForFunction((n) => window.netpolgen.cy.edges().length === n &&
        /^Graph:/.test(document.getElementById('status').textContent), all);
    });

    await step('exclude ports & protocols', async () => {
      await page.check('#exclude-ports');
      await page.click('#generate');
      await page.waitForFunction(() => document.body.dataset.simulator === 'GENERATED' &&
        document.body.dataset.simulated === 'true');
      const yaml = await page.evaluate(() => window.netpolgen.state.modification.applyYaml);
      assert.ok(!yaml.includes('ports:'), 'ports in a portless generation');
      await page.uncheck('#exclude-ports');
    });

    await step('generate and simulate', async () => {
      await page.click('#generate');
      await page.waitForFunction(() => document.body.dataset.simulator === 'GENERATED' &&
        document.body.dataset.simulated === 'true');
      const text = await page.textContent('#yaml');
      assert.ok(text.includes('stackrox-generated-frontend'), 'the viewer shows no generated policy');
      assert.match(await page.textContent('#sim-summary'), /\d+ added/);
      const marked = await page.evaluate(() => window.netpolgen.cy.nodes('.policy-added').length);
      assert.ok(marked >= 10, `only ${marked} workloads marked as getting a policy`);
      assert.ok(await page.isHidden('#warnings'), 'warnings shown for traffic that all resolves');
      await shot('03-generated');
    });

    await step('the server\'s warnings are shown next to the policies they explain', async () => {
      // The demo's traffic all resolves; a store whose traffic does not is the server's case
      // (ServerApi.GenerateWarnsWhenNoStoredFlowMapsOntoTheCluster). Here the answer gets one.
      const warning = '12 stored edges (40 flows) name workloads that are not in the cluster';
      await page.route('**/v1/networkpolicies/generate/**', async (route) => {
        const response = await route.fetch();
        const body = await response.json();
        await route.fulfill({ response, json: { ...body, warnings: [warning] } });
      });
      await page.click('#generate');
      await page.waitForFunction(() => document.body.dataset.simulated === 'true');
      assert.ok(await page.isVisible('#warnings'), 'the warning is not shown');
      assert.equal(await page.textContent('#warnings li'), warning);
      await page.unroute('**/v1/networkpolicies/generate/**');
      await page.click('#generate');
      await page.waitForFunction(() => document.body.dataset.simulated === 'true');
      assert.ok(await page.isHidden('#warnings'), 'an old warning stays after a clean generation');
    });

    await step('download is networkPolicy.yml, byte-identical to `netpolgen demo`', async () => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      assert.equal(download.suggestedFilename(), 'networkPolicy.yml');
      const file = join(scratch, 'networkPolicy.yml');
      await download.saveAs(file);
      const got = await readFile(file);
      assert.ok(got.equals(Buffer.from(expected)), 'the downloaded YAML differs from `netpolgen demo`');
    });

    await step('compare shows existing and generated side by side', async () => {
      await page.click('#compare');
      await page.waitForSelector('#compare-dialog[open] .compare-row[data-policy="default/stackrox-generated-frontend"]');
      const cells = await page.$$eval('.compare-row[data-policy="default/stackrox-generated-frontend"] pre', (p) => p.map((x) => x.textContent));
      assert.equal(cells.length, 2);
      assert.equal(cells[0], '(none)');
      assert.match(cells[1], /name: stackrox-generated-frontend/);
      await shot('04-compare');
      await page.click('#compare-dialog form button');
    });

    await step('upload: wrong extension refused, a deny-all YAML blocks observed traffic', async () => {
      const txt = join(scratch, 'policy.txt');
      await writeFile(txt, 'x');
      await page.setInputFiles('#upload', txt);
      await page.waitForFunction(() => document.getElementById('panel-error').textContent === 'File must be .yaml or .yml');
      const yaml = join(scratch, 'deny-all.yaml');
      await writeFile(yaml, 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny-all\n  namespace: default\nspec:\n  podSelector: {}\n  policyTypes:\n  - Ingress\n');
      await page.setInputFiles('#upload', yaml);
      await page.waitForFunction(() => document.body.dataset.simulator === 'UPLOAD' && document.body.dataset.simulated === 'true');
      const blocked = Number(await page.getAttribute('#sim-summary', 'data-blocked'));
      assert.ok(blocked > 0, 'a deny-all policy blocks no observed connection');
      const marked = await page.evaluate(() => window.netpolgen.cy.edges('.blocked').length);
      assert.ok(marked > 0, 'no edge marked as blocked on the graph');
      await shot('05-upload-simulated');
    });

    await step('upload: a matchExpressions podSelector outlines exactly the workloads it selects', async () => {
      // app In (cartservice, redis-cart, frontend), NotIn (frontend), Exists: cartservice and
      // redis-cart only; the server matches the selector, the graph outlines its answer.
      const yaml = join(scratch, 'expressions.yml');
      await writeFile(yaml, 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: carts\n  namespace: default\n' +
        'spec:\n  podSelector:\n    matchExpressions:\n    - key: app\n      operator: In\n      values: [cartservice, redis-cart, frontend]\n' +
        '    - {key: app, operator: NotIn, values: [frontend]}\n    - {key: app, operator: Exists}\n    - {key: tier, operator: DoesNotExist}\n' +
        '  policyTypes:\n  - Ingress\n');
      await page.setInputFiles('#upload', yaml);
      await page.waitForFunction(() => document.body.dataset.simulator === 'UPLOAD' && document.body.dataset.simulated === 'true');
      const outlined = await page.evaluate(() => window.netpolgen.cy.nodes('.policy-added').map((n) => n.id()).sort());
      assert.deepEqual(outlined, ['default/cartservice[Deployment]', 'default/redis-cart[Deployment]']);
      const listed = await page.evaluate(() => window.netpolgen.state.simulation.policies
        .find((p) => p.name === 'carts').selectedWorkloads);
      assert.deepEqual(listed, outlined);
      await shot('05b-upload-match-expressions');
      // Collapsed, their namespace is outlined.
      await page.check('#collapse');
      await page.waitForFunction(() => window.netpolgen.cy.nodes('[type = "namespace"][?collapsed]').length > 0 &&
        /^Graph:/.test(document.getElementById('status').textContent));
      assert.deepEqual(await page.evaluate(() => window.netpolgen.cy.nodes('.policy-added').map((n) => n.id())), ['default']);
      await page.uncheck('#collapse');
      await page.waitForFunction(() => window.netpolgen.cy.nodes('[type = "workload"]').length > 0 &&
        /^Graph:/.test(document.getElementById('status').textContent));
    });

    await step('share with notifiers sends the YAML to the webhook', async () => {
      await page.selectOption('#actions', 'rebuild');
      await page.waitForFunction(() => document.body.dataset.simulator === 'GENERATED' && document.body.dataset.simulated === 'true');
      await page.selectOption('#actions', 'share');
      await page.waitForSelector('#share-dialog[open] #notifier-list input[value="hook"]');
      await page.check('#notifier-list input[value="hook"]');
      await shot('06-share');
      await page.click('#share-send');
      const got = await webhook.next(1);
      assert.deepEqual(Object.keys(got.json), ['networkpolicy']);
      assert.equal(got.json.networkpolicy.cluster, 'default');
      assert.equal(got.json.networkpolicy.yaml, expected);
      await page.waitForFunction(() => document.getElementById('share-result').dataset.ok === 'true');
      await page.click('#share-dialog form button:not(#share-send)');
    });

    // Notifiers made in the portal (POST/DELETE /v1/notifiers): secrets typed once, never shown.
    const secret = 'portal-s3cret-pw';
    const headerSecret = 'portal-s3cret-header';
    // The Test button of notifier `name` (portal-hook): the receiver gets the test message with the
    // stored password and header, which the page never shows.
    const testSendsTheStoredSecrets = async (name) => {
      const before = webhook.received.length;
      await page.click('#notifiers-table tr[data-id="portal-hook"] .notifier-test');
      const got = await webhook.next(before + 1);
      assert.match(got.json.networkpolicy.yaml, /a test message/);
      assert.equal(got.headers.authorization, `Basic ${Buffer.from(`bot:${secret}`).toString('base64')}`);
      assert.equal(got.headers['x-api-key'], headerSecret);
      await page.waitForFunction((n) => document.getElementById('notifier-result').textContent === `${n}: test message sent`, name);
    };
    const openNotifiers = async (count) => {
      await page.waitForSelector('#notifiers-dialog[open]');
      await page.waitForFunction((n) => document.getElementById('notifiers-dialog').dataset.count === String(n), count);
    };
    await step('notifiers: listed with their source; a type fills its template; a bad body shows the 400', async () => {
      await page.selectOption('#actions', 'notifiers');
      await openNotifiers(1);
      const file = await page.$$eval('#notifiers-table tr[data-id="hook"] td', (td) => td.map((x) => x.textContent));
      assert.deepEqual(file.slice(0, 4), ['test hook', 'webhook', 'file', webhook.url]);
      assert.equal(await page.$$eval('#notifiers-table tr[data-id="hook"] .notifier-delete', (b) => b.length), 0,
        'a file notifier can be deleted');
      await page.selectOption('#notifier-type', 'email');
      const template = JSON.parse(await page.inputValue('#notifier-json'));
      assert.equal(template.type, 'email');
      assert.deepEqual(Object.keys(template.email).sort(), ['from', 'password', 'server', 'startTLS', 'to', 'username']);
      await page.selectOption('#notifier-type', 'webhook');
      assert.equal(JSON.parse(await page.inputValue('#notifier-json')).webhook.url, 'https://hooks.example.com/np');
      await page.fill('#notifier-json', '{"name": "bad", "type": "webhook", "webhook": {"url": ""}}');
      await page.click('#notifier-save');
      await page.waitForFunction(() => document.getElementById('notifier-error').textContent ===
        'body:1: webhook.url: required for type webhook');
      assert.equal((await api('/v1/notifiers')).notifiers.length, 1);
      await shot('06b-notifiers-bad-body');
    });

    await step('notifiers: add a webhook with secrets, listed as api, the secrets never on the page; Test', async () => {
      await page.fill('#notifier-json', JSON.stringify({ name: 'portal-hook', type: 'webhook', webhook: {
        url: webhook.url, caCert: await readFile(webhook.cert, 'utf8'), username: 'bot', password: secret,
        headers: [{ key: 'X-Api-Key', value: headerSecret }] } }, null, 2));
      await page.click('#notifier-save');
      await openNotifiers(2);
      assert.equal(await page.textContent('#notifier-error'), '');
      const row = await page.$$eval('#notifiers-table tr[data-id="portal-hook"] td', (td) => td.map((x) => x.textContent));
      assert.deepEqual(row.slice(0, 4), ['portal-hook', 'webhook', 'api', webhook.url]);
      const shown = await page.evaluate(() => document.body.innerText + document.documentElement.outerHTML +
        [...document.querySelectorAll('input, textarea, select')].map((e) => e.value).join('\n'));
      for (const s of [secret, headerSecret]) assert.ok(!shown.includes(s), `the page shows the secret ${s}`);
      const listed = (await api('/v1/notifiers')).notifiers.find((n) => n.id === 'portal-hook');
      assert.equal(listed.source, 'api');
      assert.equal(listed.webhook.password, '******');
      await shot('06c-notifiers-added');
      // Test: the server's message, with the stored secrets (the listing's are masked).
      await testSendsTheStoredSecrets('portal-hook');
      await page.click('#notifiers-dialog form button');
    });

    await step('notifiers: edit the added webhook (PUT): a new name keeps the masked secrets; a new URL needs them again', async () => {
      await page.selectOption('#actions', 'notifiers');
      await openNotifiers(2);
      assert.equal(await page.$$eval('#notifiers-table tr[data-id="hook"] .notifier-edit', (b) => b.length), 0,
        'a file notifier can be edited');
      await page.click('#notifiers-table tr[data-id="portal-hook"] .notifier-edit');
      await page.waitForFunction(() => document.getElementById('notifiers-dialog').dataset.editing === 'portal-hook');
      const loaded = JSON.parse(await page.inputValue('#notifier-json'));
      assert.equal(loaded.id, 'portal-hook');
      assert.equal(loaded.webhook.password, '******');
      assert.equal(loaded.webhook.headers[0].value, '******');
      assert.ok(await page.isVisible('#notifier-cancel'));
      // Cancel returns to add mode with the template.
      await page.click('#notifier-cancel');
      await page.waitForFunction(() => document.getElementById('notifiers-dialog').dataset.editing === '');
      assert.equal(JSON.parse(await page.inputValue('#notifier-json')).webhook.url, 'https://hooks.example.com/np');
      assert.ok(!(await page.isVisible('#notifier-cancel')));
      // Edit again: only the name changes.
      await page.click('#notifiers-table tr[data-id="portal-hook"] .notifier-edit');
      await page.waitForFunction(() => document.getElementById('notifiers-dialog').dataset.editing === 'portal-hook');
      await page.fill('#notifier-json', JSON.stringify({ ...loaded, name: 'portal-hook renamed' }, null, 2));
      await shot('06c2-notifier-edit');
      await page.click('#notifier-save');
      await page.waitForFunction(() => document.querySelector('#notifiers-table tr[data-id="portal-hook"] td.name')?.textContent === 'portal-hook renamed');
      assert.equal(await page.textContent('#notifier-error'), '');
      assert.equal(await page.getAttribute('#notifiers-dialog', 'data-editing'), '');
      assert.equal(JSON.parse(await page.inputValue('#notifier-json')).webhook.url, 'https://hooks.example.com/np',
        'the text box keeps the edited notifier');
      const stored = await api('/v1/notifiers/portal-hook');
      assert.equal(stored.name, 'portal-hook renamed');
      assert.equal(stored.webhook.url, webhook.url);
      await shot('06c3-notifier-edited');
      // The kept secrets still reach the receiver.
      await testSendsTheStoredSecrets('portal-hook renamed');
      // Another https URL without the password again: the server's 400 is shown, nothing changes.
      await page.click('#notifiers-table tr[data-id="portal-hook"] .notifier-edit');
      await page.waitForFunction(() => document.getElementById('notifiers-dialog').dataset.editing === 'portal-hook');
      const again = JSON.parse(await page.inputValue('#notifier-json'));
      again.webhook.url = 'https://hooks.example.com/elsewhere';
      await page.fill('#notifier-json', JSON.stringify(again, null, 2));
      await page.click('#notifier-save');
      await page.waitForFunction(() => /webhook\.password: required again because webhook\.url changed/.test(document.getElementById('notifier-error').textContent));
      assert.equal(await page.getAttribute('#notifiers-dialog', 'data-editing'), 'portal-hook', 'a failed save left edit mode');
      assert.equal((await api('/v1/notifiers/portal-hook')).webhook.url, webhook.url);
      await shot('06c4-notifier-edit-url-400');
      await page.click('#notifier-cancel');
      await page.waitForFunction(() => document.getElementById('notifiers-dialog').dataset.editing === '');
      const shown = await page.evaluate(() => document.body.innerText + document.documentElement.outerHTML +
        [...document.querySelectorAll('input, textarea, select')].map((e) => e.value).join('\n'));
      for (const s of [secret, headerSecret]) assert.ok(!shown.includes(s), `the page shows the secret ${s}`);
      await page.click('#notifiers-dialog form button');
    });

    await step('share the generated YAML with the added notifier; delete it and it is gone', async () => {
      await page.selectOption('#actions', 'share');
      await page.waitForSelector('#share-dialog[open] #notifier-list input[value="portal-hook"]');
      await page.check('#notifier-list input[value="portal-hook"]');
      const before = webhook.received.length;
      await page.click('#share-send');
      const got = await webhook.next(before + 1);
      assert.deepEqual(Object.keys(got.json), ['networkpolicy']);
      assert.equal(got.json.networkpolicy.cluster, 'default');
      assert.equal(got.json.networkpolicy.yaml, expected);
      assert.equal(got.headers['x-api-key'], headerSecret);
      await page.waitForFunction(() => document.getElementById('share-result').dataset.ok === 'true');
      assert.equal(webhook.received.length, before + 1, 'the unchecked file notifier was sent to');
      await shot('06d-shared-with-added');
      // From the share dialog: delete it; both lists lose it.
      await page.click('#share-manage');
      await openNotifiers(2);
      await page.click('#notifiers-table tr[data-id="portal-hook"] .notifier-delete');
      await openNotifiers(1);
      assert.equal(await page.$$eval('#notifiers-table tr[data-id="portal-hook"]', (r) => r.length), 0);
      await page.waitForFunction(() => !document.querySelector('#notifier-list input[value="portal-hook"]'));
      assert.deepEqual((await api('/v1/notifiers')).notifiers.map((n) => n.id), ['hook']);
      await shot('06e-notifier-deleted');
      await page.click('#notifiers-dialog form button');
      await page.click('#share-dialog form button:not(#share-send)');
    });

    const generatedCount = expected.split('kind: NetworkPolicy').length - 1;
    await step('apply records the generated policies', async () => {
      await page.click('#apply');
      await page.waitForFunction(() => document.querySelectorAll('#history tbody tr').length === 1);
      const change = await lastChange();
      assert.equal(change.originalModification.applyYaml, expected);
      assert.equal(change.undoModification.toDelete.length, generatedCount);
      await shot('07-applied');
    });

    await step('view active YAMLs lists the applied policies, each as applied, and downloads one', async () => {
      await openActive(generatedCount);
      assert.ok(!(await page.isVisible('#active-empty')));
      const options = await page.$$eval('#active-policy option', (o) => o.map((x) => x.value));
      assert.equal(options.length, generatedCount);
      assert.ok(options.includes('default/stackrox-generated-frontend'), options.join(', '));
      await page.selectOption('#active-policy', 'default/stackrox-generated-frontend');
      // Its document of the applied YAML (`netpolgen demo`), byte for byte.
      const applied = expected.split(/^(?=---\n)/m).find((d) => d.includes('  name: stackrox-generated-frontend\n'));
      assert.ok(applied, 'no frontend policy in `netpolgen demo`');
      assert.equal(await page.textContent('#active-yaml'), applied);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#active-download')]);
      assert.equal(download.suggestedFilename(), 'default-stackrox-generated-frontend.yml');
      const file = join(scratch, 'active.yml');
      await download.saveAs(file);
      assert.ok((await readFile(file)).equals(Buffer.from(applied)), 'the downloaded active YAML differs from the applied one');
      await page.click('#active-copy');
      await page.waitForFunction(() => document.getElementById('status').textContent === 'YAML copied');
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), applied);
      await shot('07b-active-yamls');
      // The scope's namespaces: the demo's one keeps them all, the choice survives the reload.
      await page.selectOption('#namespaces', ['default']);
      await page.waitForFunction(() => /namespaces default$/.test(document.getElementById('active-scope').textContent));
      await page.waitForFunction((n) => document.body.dataset.active === String(n), generatedCount);
      assert.equal(await page.inputValue('#active-policy'), 'default/stackrox-generated-frontend');
      await page.selectOption('#namespaces', []);
      await page.waitForFunction(() => /all namespaces$/.test(document.getElementById('active-scope').textContent));
      await page.waitForFunction((n) => document.body.dataset.active === String(n) &&
        /^Graph:|active network policies$/.test(document.getElementById('status').textContent), generatedCount);
      await page.click('#tab-generate');
    });

    await step('revert to the previously applied YAML, then apply it', async () => {
      await page.selectOption('#actions', 'revert');
      await page.waitForFunction(() => document.body.dataset.simulator === 'UNDO' && document.body.dataset.simulated === 'true');
      assert.match(await page.textContent('#yaml'), /# kubectl -n default delete networkpolicy stackrox-generated-frontend/);
      await page.click('#apply');
      await page.waitForFunction(() => document.querySelectorAll('#history tbody tr').length === 2);
      const change = await lastChange();
      assert.equal(change.originalModification.toDelete.length, generatedCount);
      // Its undo re-creates them.
      assert.equal(change.undoModification.applyYaml.split('kind: NetworkPolicy').length - 1, generatedCount);
      await shot('08-reverted');
      await openActive(0); // reverted: none active again
      await page.click('#tab-generate');
    });

    await step('with --token-file: files without a token, the API with the #token= fragment', async () => {
      const tokens = join(scratch, 'tokens.txt');
      await writeFile(tokens, 'reader-token read\n');
      const guarded = await startServe(['--token-file', tokens], { TMPDIR: serveTmp });
      try {
        assert.equal((await rawGet(guarded.url, '/')).status, 200);
        assert.equal((await rawGet(guarded.url, '/app.js')).status, 200);
        assert.equal((await rawGet(guarded.url, '/v1/graph/default')).status, 401);
        const tokenPage = await browser.newPage();
        const sent = [];
        tokenPage.on('request', (r) => { if (r.url().includes('/v1/')) sent.push(r.headers()); });
        await tokenPage.goto(`${guarded.url}#token=reader-token`);
        await tokenPage.waitForFunction(() => document.body.dataset.ready === 'true' &&
          window.netpolgen.cy && window.netpolgen.cy.nodes().length > 0);
        assert.ok(!tokenPage.url().includes('reader-token'), 'the token stays in the address bar');
        assert.ok(sent.length > 0 && sent.every((h) => h.authorization === 'Bearer reader-token' && !h.cookie));
        // A read token may list notifiers, not add one: the server's 403 is shown.
        await tokenPage.click('#generate');
        await tokenPage.waitForFunction(() => document.body.dataset.simulated === 'true');
        await tokenPage.selectOption('#actions', 'notifiers');
        await tokenPage.waitForFunction(() => document.getElementById('notifiers-dialog').dataset.count === '0');
        await tokenPage.fill('#notifier-json', JSON.stringify({ name: 'x', type: 'webhook', webhook: { url: 'https://127.0.0.1:9/x' } }));
        await tokenPage.click('#notifier-save');
        await tokenPage.waitForFunction(() => /admin/i.test(document.getElementById('notifier-error').textContent));
        await tokenPage.screenshot({ path: join(artifacts, '09-notifiers-read-token-403.png'), fullPage: true });
        await tokenPage.close();
      } finally {
        guarded.child.kill('SIGTERM');
        await once(guarded.child, 'exit');
      }
    });

    await step('serve --hubble-relay: the source is shown and the graph fills as flows arrive', async () => {
      assert.ok(fakeRelay, 'no fake_hubble_relay given (the third argument)');
      const dir = await mkdtemp(join(scratch, 'relay-'));
      const events = join(dir, 'events.jsonl');
      const demo = (await readFile(join(root, 'demo/online-boutique/flows.hubble.jsonl'), 'utf8'))
        .split('\n').filter((l) => l.includes('"flow"'));
      await writeFile(events, demo.slice(0, 300).join('\n') + '\n');
      const portFile = join(dir, 'port');
      const fake = spawn(fakeRelay, ['--events', events, '--port-file', portFile, '--follow-file'], { stdio: 'ignore' });
      try {
        let port = '';
        for (let i = 0; i < 200 && !port; i++) {
          port = await readFile(portFile, 'utf8').then((s) => s.trim(), () => '');
          if (!port) await new Promise((r) => setTimeout(r, 50));
        }
        assert.ok(port, 'the fake relay did not start');
        const relayServe = await startServe(['--hubble-relay', `127.0.0.1:${port}`], { TMPDIR: serveTmp });
        try {
          const relayPage = await browser.newPage({ viewport: { width: 1500, height: 950 } });
          relayPage.setDefaultTimeout(STEP_TIMEOUT);
          await relayPage.goto(relayServe.url);
          await relayPage.waitForFunction(() => {
            const s = document.getElementById('source');
            return document.body.dataset.ready === 'true' && !s.hidden && s.dataset.state === 'streaming' &&
              Number(s.dataset.committed) > 0;
          });
          const source = await relayPage.textContent('#source');
          assert.match(source, /^Hubble Relay 127\.0\.0\.1:\d+: streaming, \d+ flows stored, lag /);
          const committed = Number(await relayPage.getAttribute('#source', 'data-committed'));
          // A connection never seen: a client of the frontend on port 9999, after the buffer.
          const opening = demo.map((l) => JSON.parse(l)).find((e) => e.flow.destination.pod_name &&
            e.flow.destination.pod_name.startsWith('frontend') && e.flow.l4.TCP && e.flow.l4.TCP.flags &&
            e.flow.l4.TCP.flags.SYN && !e.flow.l4.TCP.flags.ACK && !e.flow.is_reply);
          opening.flow.l4.TCP.destination_port = 9999;
          opening.flow.uuid = 'browser-test-new-port';
          opening.flow.time = opening.time = '2026-11-20T00:00:00Z';
          await appendFile(events, JSON.stringify(opening) + '\n');
          await relayPage.waitForFunction((n) => Number(document.getElementById('source').dataset.committed) > n,
            committed, { timeout: 20000 });
          await relayPage.waitForFunction(() => window.netpolgen.cy.edges().some((e) =>
            String(e.data('portsLabel') || '').includes('9999/TCP')), null, { timeout: 20000 });
          await relayPage.screenshot({ path: join(artifacts, '10-hubble-relay-source.png'), fullPage: true });
          await relayPage.close();
        } finally {
          relayServe.child.kill('SIGTERM');
          await once(relayServe.child, 'exit');
        }
      } finally {
        fake.kill('SIGKILL');
      }
    });

    await step('the page loaded nothing from elsewhere', () => {
      const origin = new URL(serve.url).origin;
      const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:'));
      assert.deepEqual(foreign, []);
      assert.deepEqual(pageErrors, []);
    });
  } finally {
    if (browser) await browser.close();
    webhook.server.close();
    const exited = serve.child.exitCode !== null ? [serve.child.exitCode] : once(serve.child, 'exit');
    serve.child.kill('SIGTERM');
    const [code] = await exited;
    await t.test('serve stops cleanly and removes the demo store', async () => {
      assert.equal(code, 0, serve.stderr());
      assert.deepEqual(await readdir(serveTmp), []);
    });
    await rm(scratch, { recursive: true, force: true });
  }
});
