// Global token revocation: every token and login session of one user, at every client, in one
// call; gated by GLOBAL_TOKEN_REVOCATION and the scope global_token_revocation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic } from './lib/server.mjs';
import { discover, introspect, refresh } from './lib/oauth.mjs';
import { codeFlow } from './lib/flow.mjs';

const REDIRECT = 'http://127.0.0.1:9/cb';
let server, as, a, b, rs, idp, plain;

before(async () => {
  server = await startServer();
  as = await discover(server);
  await server.createUser('alice', 'alice password 1', { email: 'alice@example.com' });
  await server.createUser('bob', 'bob password 123', { email: 'bob@example.com' });
  const app = { redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], scope: 'openid offline_access' };
  a = await server.createClient(app);
  b = await server.createClient(app);
  rs = await server.createClient({ grant_types: ['client_credentials'] });
  idp = await server.createClient({ grant_types: ['client_credentials'], scope: 'global_token_revocation' });
  plain = await server.createClient({ grant_types: ['client_credentials'] });
});
after(async () => server.cleanup());

const login = (c, username, password) => codeFlow(as, c, { username, password, scope: 'openid offline_access', redirectUri: REDIRECT });
const call = (c, body, extra = {}) =>
  fetch(`${server.url}/global-token-revocation`, {
    method: 'POST',
    headers: { authorization: basic(c.client_id, c.client_secret), 'content-type': 'application/json', ...extra },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const active = async (t) => (await introspect(as, rs, t)).active;

test('discovery publishes global_token_revocation_endpoint', async () => {
  assert.equal(as.global_token_revocation_endpoint, `${server.url}/global-token-revocation`);
});

test('revokes every token of the user at every client, and nobody else\'s', async () => {
  const a1 = await login(a, 'alice', 'alice password 1');
  const b1 = await login(b, 'alice', 'alice password 1');
  const bob = await login(a, 'bob', 'bob password 123');
  const r = await call(idp, { sub_id: { format: 'mail', id: 'alice@example.com' } });
  assert.equal(r.status, 204);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  for (const t of [a1, b1]) {
    assert.equal(await active(t.access_token), false);
    await assert.rejects(refresh(as, a, t.refresh_token), (e) => e.error === 'invalid_grant');
  }
  assert.equal(await active(bob.access_token), true);
  const ev = await server.admin('GET', `/audit?event=global_token_revocation&client_id=${idp.client_id}`);
  assert.equal(ev.json.events[0].outcome, 'revoked');
  assert.equal(ev.json.events[0].detail.grants_revoked, 2);
});

test('the user\'s login session ends too: the next authorization asks for the password again', async () => {
  const { login: loginOnly } = await import('./lib/flow.mjs');
  const first = await loginOnly(as, a, { username: 'bob', password: 'bob password 123', scope: 'openid', redirectUri: REDIRECT });
  const cookie = Object.entries(first.cookies).map(([k, v]) => `${k}=${v}`).join('; ');
  const url = `${as.authorization_endpoint}?response_type=code&client_id=${a.client_id}&redirect_uri=${encodeURIComponent(REDIRECT)}&scope=openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256`;
  let r = await fetch(url, { headers: { cookie }, redirect: 'manual' });
  assert.equal(r.status, 302, 'the session skips the login page');
  assert.equal((await call(idp, { sub_id: { format: 'uid', id: 'bob' } })).status, 204);
  r = await fetch(url, { headers: { cookie }, redirect: 'manual' });
  assert.equal(r.status, 200, 'the login page again');
});

test('an unknown user gets the same 204', async () => {
  const r = await call(idp, { sub_id: { format: 'uid', id: 'nobody' } });
  assert.equal(r.status, 204);
});

test('errors: no scope 403, bad credentials 401, bad body 400, wrong method 405', async () => {
  let r = await call(plain, { sub_id: { format: 'uid', id: 'bob' } });
  assert.equal(r.status, 403);
  assert.equal((await r.json()).error, 'access_denied');
  r = await call({ client_id: idp.client_id, client_secret: 'wrong' }, { sub_id: { format: 'uid', id: 'bob' } });
  assert.equal(r.status, 401);
  for (const body of ['not json', '{}', '{"sub_id":{"format":"phone","id":"1"}}', '{"sub_id":{"format":"uid"}}']) {
    r = await call(idp, body);
    assert.equal(r.status, 400, body);
    assert.equal((await r.json()).error, 'invalid_request');
  }
  r = await call(idp, 'sub_id=x', { 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(r.status, 400);
  assert.equal((await fetch(`${server.url}/global-token-revocation`)).status, 405);
});

test('GLOBAL_TOKEN_REVOCATION off: 403 and gone from discovery; on again without restart', async () => {
  const others = ['REVOKE_TOKEN', 'INTROSPECTION', 'USERINFO', 'DYNAMIC_REGISTRATION', 'STATUS_LIST'];
  assert.equal((await server.admin('PATCH', '/config', { featureFlags: others })).status, 200);
  const t = await login(a, 'alice', 'alice password 1');
  let r = await call(idp, { sub_id: { format: 'uid', id: 'alice' } });
  assert.equal(r.status, 403);
  assert.equal(await active(t.access_token), true);
  let d = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
  assert.equal(d.global_token_revocation_endpoint, undefined);
  assert.equal((await server.admin('PATCH', '/config', { featureFlags: [] })).status, 200);
  d = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
  assert.ok(d.global_token_revocation_endpoint);
  assert.equal((await call(idp, { sub_id: { format: 'uid', id: 'alice' } })).status, 204);
  assert.equal(await active(t.access_token), false);
});

test('open registration cannot obtain the scope', async () => {
  const r = await fetch(`${server.url}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_types: ['client_credentials'], scope: 'global_token_revocation' }) });
  assert.equal(r.status, 400);
});
