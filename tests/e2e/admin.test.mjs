// The admin API (/admin/...): bearer-credential authentication, clients, users, audit log,
// run-time configuration (RFC 7396 merge patch, persisted across restarts) and feature flags.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic } from './lib/server.mjs';

let server;

before(async () => {
  server = await startServer();
});
after(async () => {
  await server.cleanup();
});

async function token(c) {
  return server.form('/token', { grant_type: 'client_credentials' }, { headers: { authorization: basic(c.client_id, c.client_secret) } });
}

async function patchConfig(body, contentType = 'application/merge-patch+json') {
  const r = await fetch(`${server.url}/admin/config`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.status, headers: r.headers, json: await r.json() };
}

async function discovery() {
  return (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
}

test('401 without a credential, with a wrong one, and with another scheme', async () => {
  const cases = [undefined, 'Bearer not-the-credential', `Basic ${Buffer.from('a:b').toString('base64')}`, 'Bearer '];
  for (const authorization of cases) {
    const r = await fetch(`${server.url}/admin/clients`, { headers: authorization ? { authorization } : {} });
    assert.equal(r.status, 401, String(authorization));
    assert.match(r.headers.get('www-authenticate'), /^Bearer realm="rescind-admin"/);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const j = await r.json();
    assert.equal(j.error, 'invalid_token');
    assert.ok(j.error_description);
  }
  // unknown paths do not leak their (non-)existence to unauthenticated callers
  const r = await fetch(`${server.url}/admin/nothing-here`);
  assert.equal(r.status, 401);
});

test('unknown path is 404 JSON, wrong method 405 with Allow, every answer no-store', async () => {
  let r = await server.admin('GET', '/nothing-here');
  assert.equal(r.status, 404);
  assert.equal(r.json.error, 'not_found');
  r = await server.admin('PUT', '/clients', {});
  assert.equal(r.status, 405);
  assert.deepEqual(r.headers.get('allow').split(', ').sort(), ['GET', 'POST']);
  r = await server.admin('GET', '/health');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { status: 'ok' });
  assert.equal(r.headers.get('cache-control'), 'no-store');
});

test('client create, list, show, delete; a deleted client can no longer get a token', async () => {
  const created = await server.admin('POST', '/clients', { client_id: 'svc-1', client_name: 'Service one', grant_types: ['client_credentials'], scope: 'read' });
  assert.equal(created.status, 201);
  assert.equal(created.json.client_id, 'svc-1');
  assert.equal(created.json.client_name, 'Service one');
  assert.deepEqual(created.json.grant_types, ['client_credentials']);
  assert.match(created.json.client_secret, /^[A-Za-z0-9_-]{43}$/);
  const c = created.json;

  let r = await token(c);
  assert.equal(r.status, 200, r.text);

  r = await server.admin('GET', '/clients');
  assert.equal(r.status, 200);
  const listed = r.json.clients.find((x) => x.client_id === 'svc-1');
  assert.ok(listed);
  assert.equal(listed.client_secret, undefined, 'the secret is only shown at creation');

  r = await server.admin('GET', '/clients/svc-1');
  assert.equal(r.status, 200);
  assert.equal(r.json.client_id, 'svc-1');
  assert.equal(r.json.client_secret, undefined);

  r = await server.admin('DELETE', '/clients/svc-1');
  assert.equal(r.status, 204);
  r = await server.admin('GET', '/clients/svc-1');
  assert.equal(r.status, 404);
  r = await server.admin('DELETE', '/clients/svc-1');
  assert.equal(r.status, 404);
  r = await server.admin('GET', '/clients');
  assert.ok(!r.json.clients.some((x) => x.client_id === 'svc-1'));

  r = await token(c);
  assert.equal(r.status, 401);
  assert.equal(r.json.error, 'invalid_client');
});

test('client create: generated id, taken id 409, bad id, bad metadata, body not JSON', async () => {
  let r = await server.admin('POST', '/clients', { grant_types: ['client_credentials'] });
  assert.equal(r.status, 201);
  assert.ok(r.json.client_id.length >= 16);

  r = await server.admin('POST', '/clients', { client_id: 'dup', grant_types: ['client_credentials'] });
  assert.equal(r.status, 201);
  r = await server.admin('POST', '/clients', { client_id: 'dup', grant_types: ['client_credentials'] });
  assert.equal(r.status, 409);
  assert.deepEqual(r.json, { error: 'invalid_client_metadata', error_description: 'client_id already exists' });

  for (const client_id of ['', 'has space', 'x'.repeat(65), 'semi;colon', 42]) {
    r = await server.admin('POST', '/clients', { client_id, grant_types: ['client_credentials'] });
    assert.equal(r.status, 400, JSON.stringify(client_id));
    assert.equal(r.json.error, 'invalid_client_metadata');
  }

  r = await server.admin('POST', '/clients', { redirect_uris: ['http://attacker.example/cb'] });
  assert.equal(r.status, 400);
  assert.equal(r.json.error, 'invalid_redirect_uri');
  assert.ok(r.json.error_description);

  r = await server.admin('POST', '/clients', { grant_types: ['password'] });
  assert.equal(r.status, 400);
  assert.equal(r.json.error, 'invalid_client_metadata');

  // a public client is anyone who knows its client_id: no privileged scope, even from the admin
  for (const scope of ['openid revoke_any_token', 'global_token_revocation', 'revoke_session']) {
    r = await server.admin('POST', '/clients', { redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none', scope });
    assert.equal(r.status, 400, scope);
    assert.match(r.json.error_description, /public client/);
  }
  r = await server.admin('POST', '/clients', { grant_types: ['client_credentials'], scope: 'revoke_any_token' });
  assert.equal(r.status, 201, 'a confidential client may hold it');

  const raw = await fetch(`${server.url}/admin/clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
    body: '{"grant_types": [',
  });
  assert.equal(raw.status, 400);
  assert.equal((await raw.json()).error, 'invalid_request');
});

test('client revoke: every grant of the client is revoked and audited', async () => {
  const c = await server.createClient({ grant_types: ['client_credentials'] });
  const t1 = (await token(c)).json.access_token;
  const t2 = (await token(c)).json.access_token;
  const introspect = async (t) =>
    (await server.form('/introspect', { token: t }, { headers: { authorization: basic(c.client_id, c.client_secret) } })).json;
  assert.equal((await introspect(t1)).active, true);

  const r = await server.admin('POST', `/clients/${c.client_id}/revoke`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { grants: 2, tokens: 2 });
  assert.equal((await introspect(t1)).active, false);
  assert.equal((await introspect(t2)).active, false);

  const a = await server.admin('GET', `/audit?event=admin_revoke&client_id=${c.client_id}`);
  assert.equal(a.status, 200);
  assert.equal(a.json.events.length, 1);
  assert.equal(a.json.events[0].client_id, c.client_id);
  assert.deepEqual(a.json.events[0].detail, { grants: 2, tokens: 2, by: 'initial' });

  assert.equal((await server.admin('POST', '/clients/no-such-client/revoke')).status, 404);
});

test('users: create, list without hashes, duplicates, bad input, delete', async () => {
  let r = await server.admin('POST', '/users', { username: 'bob', password: 'correct horse', email: 'bob@example.com', name: 'Bob' });
  assert.equal(r.status, 201);
  assert.equal(r.json.username, 'bob');
  assert.equal(r.json.email, 'bob@example.com');
  assert.equal(r.json.name, 'Bob');
  assert.match(r.json.sub, /^[0-9a-f]{32}$/);
  assert.equal(r.json.password, undefined);

  r = await server.admin('POST', '/users', { username: 'bob', password: 'another password' });
  assert.equal(r.status, 409);

  for (const body of [{ username: 'carol', password: 'short' }, { username: 'bad name', password: 'long enough' }, { username: 'dave' }, { password: 'long enough' }, { username: 'eve', password: 'long enough', email: 5 }]) {
    r = await server.admin('POST', '/users', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.json.error, 'invalid_request');
    assert.ok(r.json.error_description);
  }

  r = await server.admin('GET', '/users');
  assert.equal(r.status, 200);
  const bob = r.json.users.find((u) => u.username === 'bob');
  assert.ok(bob);
  assert.ok(!/argon2|pw_hash|password/.test(r.text), 'no hash in the listing');
  assert.ok(!r.json.users.some((u) => u.username === 'carol'));

  r = await server.admin('DELETE', '/users/bob');
  assert.equal(r.status, 204);
  r = await server.admin('DELETE', '/users/bob');
  assert.equal(r.status, 404);
  r = await server.admin('GET', '/users');
  assert.ok(!r.json.users.some((u) => u.username === 'bob'));
});

test('PATCH config: unknown property, wrong type, out of range and non-JSON are refused; nothing changes', async () => {
  const before = (await server.admin('GET', '/config')).json;
  let r = await patchConfig({ noSuchProperty: 1 });
  assert.equal(r.status, 400);
  assert.equal(r.json.error, 'invalid_request');
  assert.match(r.json.error_description, /noSuchProperty/);

  r = await patchConfig({ accessTokenLifetime: 'ten minutes' });
  assert.equal(r.status, 400);
  assert.match(r.json.error_description, /accessTokenLifetime/);

  r = await patchConfig({ accessTokenLifetime: 0 });
  assert.equal(r.status, 400);
  assert.match(r.json.error_description, /accessTokenLifetime/);

  r = await patchConfig({ featureFlags: ['NOT_A_FLAG'] });
  assert.equal(r.status, 400);
  assert.match(r.json.error_description, /featureFlags/);

  // the server's own paths cannot become an endpoint's (a registration endpoint at /admin
  // locked the admin API out, persisted; found by fuzzing)
  for (const [name, path] of [['registrationEndpoint', '/admin'], ['tokenEndpoint', '/health'],
    ['introspectionEndpoint', '/admin/clients'], ['jwksUri', '/metrics'], ['userInfoEndpoint', '/.well-known/openid-configuration'],
    ['tokenRevocationEndpoint', '/.well-known/x']]) {
    r = await patchConfig({ [name]: `${server.url}${path}` });
    assert.equal(r.status, 400, `${name} at ${path}`);
    assert.match(r.json.error_description, new RegExp(`${name}: the path .* is the server's own`));
  }
  assert.equal((await server.admin('GET', '/health')).status, 200, 'the admin API still answers');
  r = await patchConfig({ tokenEndpoint: `${server.url}/administration/token` }); // a mere prefix is fine
  assert.equal(r.status, 200, r.text);
  r = await patchConfig({ tokenEndpoint: null });
  assert.equal(r.status, 200);

  r = await patchConfig('not json');
  assert.equal(r.status, 400);
  assert.equal(r.json.error, 'invalid_request');

  r = await patchConfig({ accessTokenLifetime: 100 }, 'text/plain');
  assert.equal(r.status, 400);

  assert.deepEqual((await server.admin('GET', '/config')).json, before);
});

test('PATCH config: accessTokenLifetime applies at once, is audited and survives a restart', async () => {
  const c = await server.createClient({ grant_types: ['client_credentials'] });
  assert.equal((await token(c)).json.expires_in, 300);

  let r = await patchConfig({ accessTokenLifetime: 120 });
  assert.equal(r.status, 200);
  assert.equal(r.json.accessTokenLifetime, 120);
  assert.equal(r.json.restart_required, undefined);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.equal((await server.admin('GET', '/config')).json.accessTokenLifetime, 120);
  assert.equal((await token(c)).json.expires_in, 120);

  const a = await server.admin('GET', '/audit?event=config_change');
  assert.equal(a.status, 200);
  const ev = a.json.events.find((e) => e.detail.changes.some((x) => x.name === 'accessTokenLifetime'));
  const change = ev.detail.changes.find((x) => x.name === 'accessTokenLifetime');
  assert.deepEqual(change, { name: 'accessTokenLifetime', from: 300, to: 120 });
  assert.equal(ev.detail.by, 'initial', 'the record says which admin credential made the change');

  await server.stop();
  await server.start();
  assert.equal((await server.admin('GET', '/config')).json.accessTokenLifetime, 120);
  assert.equal((await token(c)).json.expires_in, 120);

  // null resets the property to its default (RFC 7396)
  r = await patchConfig({ accessTokenLifetime: null }, 'application/json');
  assert.equal(r.status, 200);
  assert.equal(r.json.accessTokenLifetime, 300);
  assert.equal((await token(c)).json.expires_in, 300);
});

test('PATCH config: a restart-only property is reported in restart_required', async () => {
  const r = await patchConfig({ connectionTimeout: 45 });
  assert.equal(r.status, 200);
  assert.equal(r.json.connectionTimeout, 45);
  assert.deepEqual(r.json.restart_required, ['connectionTimeout']);
});

test('PATCH config: listen and dbPath set on the command line are refused, naming the flag; nothing changes', async () => {
  // the test server runs with --listen and --db (lib/server.mjs), which win at every start
  const before = (await server.admin('GET', '/config')).json;
  for (const [name, value, flag] of [['listen', '127.0.0.1:1', '--listen'], ['dbPath', 'elsewhere.db', '--db']]) {
    const r = await patchConfig({ [name]: value, accessTokenLifetime: 301 });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error, 'invalid_request');
    assert.match(r.json.error_description, new RegExp(`^${name} is set by ${flag} `));
  }
  const after = (await server.admin('GET', '/config')).json;
  assert.deepEqual([after.listen, after.dbPath, after.accessTokenLifetime], [before.listen, before.dbPath, before.accessTokenLifetime]);
  // another restart-only property is still accepted
  const ok = await patchConfig({ connectionTimeout: 46 });
  assert.equal(ok.status, 200, ok.text);
});

test('features: disable REVOKE_TOKEN drops revocation_endpoint from discovery, enable brings it back', async () => {
  let r = await server.admin('GET', '/features');
  assert.equal(r.status, 200);
  assert.ok(r.json.features.every((f) => f.enabled));
  assert.ok(r.json.features.some((f) => f.name === 'REVOKE_TOKEN'));
  assert.ok((await discovery()).revocation_endpoint);

  r = await server.admin('POST', '/features/REVOKE_TOKEN/disable');
  assert.equal(r.status, 200);
  assert.equal(r.json.features.find((f) => f.name === 'REVOKE_TOKEN').enabled, false);
  assert.ok(r.json.features.filter((f) => f.name !== 'REVOKE_TOKEN').every((f) => f.enabled));
  assert.equal((await discovery()).revocation_endpoint, undefined);
  assert.ok((await discovery()).introspection_endpoint, 'other features stay on');
  assert.equal((await server.admin('GET', '/features')).json.features.find((f) => f.name === 'REVOKE_TOKEN').enabled, false);

  r = await server.admin('POST', '/features/REVOKE_TOKEN/enable');
  assert.equal(r.status, 200);
  assert.ok(r.json.features.every((f) => f.enabled));
  assert.ok((await discovery()).revocation_endpoint);

  // the audit names the features that changed ([] means every feature on, so from/to alone mislead)
  const flagChanges = (await server.admin('GET', '/audit?event=config_change')).json.events
    .map((e) => e.detail.changes.find((x) => x.name === 'featureFlags')).filter(Boolean);
  const [enable, disable] = flagChanges; // newest first
  assert.deepEqual(disable.from, []);
  assert.deepEqual([disable.features_enabled, disable.features_disabled], [[], ['REVOKE_TOKEN']]);
  assert.deepEqual([enable.features_enabled, enable.features_disabled], [['REVOKE_TOKEN'], []]);

  r = await server.admin('POST', '/features/NO_SUCH_FLAG/disable');
  assert.equal(r.status, 404);
  r = await server.admin('GET', '/features/REVOKE_TOKEN/disable');
  assert.equal(r.status, 405);
});

test('audit: filters and limit, newest first', async () => {
  let r = await server.admin('GET', '/audit?limit=2');
  assert.equal(r.status, 200);
  assert.equal(r.json.events.length, 2);
  assert.ok(r.json.events[0].id > r.json.events[1].id);
  for (const k of ['id', 'time', 'event', 'client_id', 'outcome', 'detail']) assert.ok(k in r.json.events[0], k);

  r = await server.admin('GET', '/audit?event=config_change');
  assert.ok(r.json.events.length >= 3);
  assert.ok(r.json.events.every((e) => e.event === 'config_change'));

  r = await server.admin('GET', `/audit?until=1`);
  assert.deepEqual(r.json.events, []);
  r = await server.admin('GET', `/audit?since=${Math.floor(Date.now() / 1000) + 3600}`);
  assert.deepEqual(r.json.events, []);

  for (const q of ['limit=0', 'limit=abc', 'since=-5', 'limit=100000']) {
    r = await server.admin('GET', `/audit?${q}`);
    assert.equal(r.status, 400, q);
    assert.equal(r.json.error, 'invalid_request');
  }
});

test('GET /admin/config/properties: every property with type, default, description, restart flag and value', async () => {
  const cfg = (await server.admin('GET', '/config')).json;
  const r = await server.admin('GET', '/config/properties');
  assert.equal(r.status, 200);
  const props = r.json.properties;
  assert.deepEqual(props.map((p) => p.name).sort(), Object.keys(cfg).sort());
  for (const p of props) {
    assert.ok(['string', 'integer', 'boolean', 'array of strings'].includes(p.type), p.name);
    assert.ok(p.description.length > 10, p.name);
    assert.equal(typeof p.restart_required, 'boolean');
    assert.deepEqual(p.value, cfg[p.name], p.name);
    assert.ok('default' in p);
  }
  const at = props.find((p) => p.name === 'accessTokenLifetime');
  assert.equal(at.default, 300);
  assert.equal(at.minimum, 1);
  assert.equal(props.find((p) => p.name === 'listen').restart_required, true);
  assert.deepEqual(props.find((p) => p.name === 'featureFlags').default, []);
});
