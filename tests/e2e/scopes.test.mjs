// Scopes (RFC 6749 §3.3) at the token endpoint for clients registered through /register:
// a client without a registered scope may ask for the standard OpenID Connect scopes, a client
// with a registered scope only for those; unknown or malformed scopes get invalid_scope. The
// server has an initial access token: only then may /register give a client scopes of its own
// (register.test.mjs has open registration's limits).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic } from './lib/server.mjs';
import { oauth, discover, clientCredentials, introspect, insecure } from './lib/oauth.mjs';

let server, as, open, narrow;

const IAT = 'scopes-test-initial-access-token-0123456789';
async function register(meta) {
  const res = await oauth.dynamicClientRegistrationRequest(as, meta, { ...insecure, initialAccessToken: IAT });
  return oauth.processDynamicClientRegistrationResponse(res);
}

// Raw token request, for scope strings oauth4webapi would not send as they are.
async function tokenRaw(c, body) {
  return server.form(new URL(as.token_endpoint).pathname, body, {
    headers: { authorization: basic(c.client_id, c.client_secret) },
  });
}

before(async () => {
  server = await startServer({ config: { dynamicRegistrationInitialAccessToken: IAT } });
  as = await discover(server);
  open = await register({ grant_types: ['client_credentials'], client_name: 'no scope registered' });
  narrow = await register({ grant_types: ['client_credentials'], scope: 'read write', client_name: 'read write' });
  assert.equal(open.scope, undefined);
  assert.equal(narrow.scope, 'read write');
});
after(async () => {
  await server.cleanup();
});

test('a client registered without scope gets each standard scope, and openid profile together', async () => {
  for (const scope of ['openid', 'profile', 'email', 'offline_access', 'openid profile', 'openid profile email offline_access']) {
    const t = await clientCredentials(as, open, scope);
    assert.equal(t.scope, scope);
    const i = await introspect(as, open, t.access_token);
    assert.equal(i.active, true);
    assert.equal(i.scope, scope);
  }
});

test('a client registered without scope cannot ask for an unknown scope', async () => {
  for (const scope of ['admin', 'openid admin', 'read']) {
    await assert.rejects(clientCredentials(as, open, scope), (err) => {
      assert.ok(err instanceof oauth.ResponseBodyError, scope);
      assert.equal(err.status, 400);
      assert.equal(err.error, 'invalid_scope');
      return true;
    });
  }
  const r = await tokenRaw(open, { grant_type: 'client_credentials', scope: 'admin' });
  assert.equal(r.status, 400);
  assert.equal(r.json.error, 'invalid_scope');
  assert.ok(r.json.error_description);
  assert.match(r.headers.get('cache-control'), /no-store/);
});

test('a client registered with "read write" gets read, but neither openid nor admin', async () => {
  const t = await clientCredentials(as, narrow, 'read');
  assert.equal(t.scope, 'read');
  const both = await clientCredentials(as, narrow, 'write read');
  assert.equal(both.scope, 'write read');
  for (const scope of ['openid', 'admin', 'read admin', 'read openid']) {
    const r = await tokenRaw(narrow, { grant_type: 'client_credentials', scope });
    assert.equal(r.status, 400, scope);
    assert.equal(r.json.error, 'invalid_scope', scope);
    assert.equal(r.json.access_token, undefined);
  }
});

test('requesting no scope gives the registered scope', async () => {
  const t = await clientCredentials(as, narrow);
  assert.equal(t.scope, 'read write');
  const i = await introspect(as, narrow, t.access_token);
  assert.equal(i.scope, 'read write');
  const empty = await tokenRaw(narrow, { grant_type: 'client_credentials', scope: '' });
  assert.equal(empty.status, 200);
  assert.equal(empty.json.scope, 'read write');
});

test('malformed scope strings get invalid_scope', async () => {
  for (const scope of ['read  write', 'read"', '"read"', ' read', 'read ', 're\\ad', 'read\twrite', 'lecture\u00e9']) {
    const r = await tokenRaw(narrow, { grant_type: 'client_credentials', scope });
    assert.equal(r.status, 400, JSON.stringify(scope));
    assert.equal(r.json.error, 'invalid_scope', JSON.stringify(scope));
  }
  for (const scope of ['openid  profile', 'openid"']) {
    const r = await tokenRaw(open, { grant_type: 'client_credentials', scope });
    assert.equal(r.status, 400, JSON.stringify(scope));
    assert.equal(r.json.error, 'invalid_scope', JSON.stringify(scope));
  }
});

test('a scope registered in malformed form is refused at registration', async () => {
  const res = await fetch(as.registration_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${IAT}` },
    body: JSON.stringify({ grant_types: ['client_credentials'], scope: 'read "write"' }),
  });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error, 'invalid_client_metadata');
});
