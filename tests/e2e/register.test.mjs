// Dynamic client registration (RFC 7591) and client management (RFC 7592): registering through
// oauth4webapi and using the issued secret, metadata errors, the initial access token, the
// switches that turn registration off, read/update/delete with the registration access token,
// and that neither the secret nor the registration token is kept in plain text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { startServer, basic, parsed } from './lib/server.mjs';
import { oauth, discover, clientCredentials, introspect, insecure } from './lib/oauth.mjs';

let server, as, observer;
const secrets = []; // every client_secret and registration_access_token issued here

before(async () => {
  server = await startServer();
  as = await discover(server);
  // a client that is not managed through /register, used to introspect other clients' tokens
  observer = await server.createClient({ grant_types: ['client_credentials'], client_name: 'observer' });
});
after(async () => {
  await server.cleanup();
});

async function register(meta, options = {}, on = as) {
  const res = await oauth.dynamicClientRegistrationRequest(on, meta, { ...insecure, ...options });
  const c = await oauth.processDynamicClientRegistrationResponse(res);
  if (c.client_secret) secrets.push(c.client_secret);
  if (c.registration_access_token) secrets.push(c.registration_access_token);
  return c;
}


// Raw POST to the registration endpoint, for bodies oauth4webapi would not send.
async function rawRegister(srv, body, { contentType = 'application/json', headers = {} } = {}) {
  const r = await fetch(`${srv.url}/register`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return parsed(r);
}

// RFC 7592 request to a client configuration endpoint.
async function manage(uri, method, token, body, contentType = 'application/json') {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = contentType;
  const r = await fetch(uri, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return parsed(r);
}

async function tokenRaw(c, scope) {
  const params = { grant_type: 'client_credentials' };
  if (scope) params.scope = scope;
  return server.form(new URL(as.token_endpoint).pathname, params, {
    headers: { authorization: basic(c.client_id, c.client_secret) },
  });
}

test('register through oauth4webapi, then client_credentials with the issued secret and introspection', async () => {
  assert.equal(as.registration_endpoint, `${server.url}/register`);
  const c = await register({ grant_types: ['client_credentials'], scope: 'profile email', client_name: 'dcr machine' });
  assert.match(c.client_id, /^[0-9a-f]{32}$/);
  assert.match(c.client_secret, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(c.client_secret_expires_at, 0);
  assert.match(c.registration_access_token, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(c.registration_access_token, c.client_secret);
  assert.equal(c.registration_client_uri, `${as.registration_endpoint}/${c.client_id}`);
  assert.equal(c.token_endpoint_auth_method, 'client_secret_basic');
  assert.deepEqual(c.grant_types, ['client_credentials']);
  assert.equal(c.scope, 'profile email');
  assert.equal(c.client_name, 'dcr machine');
  assert.ok(Math.abs(c.client_id_issued_at - Date.now() / 1000) < 60);

  const t = await clientCredentials(as, c, 'email');
  assert.equal(t.scope, 'email');
  const i = await introspect(as, c, t.access_token);
  assert.equal(i.active, true);
  assert.equal(i.client_id, c.client_id);
  assert.equal(i.scope, 'email');
});

test('the registration response is 201 with Cache-Control: no-store; the server picks client_id and secret', async () => {
  const r = await rawRegister(server, {
    grant_types: ['client_credentials'],
    client_id: 'chosen-by-client',
    client_secret: 'chosen-secret-value',
  });
  assert.equal(r.status, 201);
  assert.match(r.headers.get('cache-control'), /no-store/);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  assert.notEqual(r.json.client_id, 'chosen-by-client');
  assert.notEqual(r.json.client_secret, 'chosen-secret-value');
  secrets.push(r.json.client_secret, r.json.registration_access_token);
  const bad = await tokenRaw({ client_id: r.json.client_id, client_secret: 'chosen-secret-value' });
  assert.equal(bad.status, 401);
  const good = await tokenRaw(r.json);
  assert.equal(good.status, 200);
});

test('a public client (none) gets no secret but a registration access token', async () => {
  const c = await register({
    redirect_uris: ['http://127.0.0.1:9999/cb'],
    token_endpoint_auth_method: 'none',
  });
  assert.equal(c.client_secret, undefined);
  assert.equal(c.client_secret_expires_at, undefined);
  assert.equal(c.token_endpoint_auth_method, 'none');
  assert.deepEqual(c.grant_types, ['authorization_code']);
  assert.deepEqual(c.response_types, ['code']);
  assert.ok(c.registration_access_token);
});

test('metadata errors: RFC 7591 §3.2.2 codes with a description', async () => {
  await assert.rejects(register({ redirect_uris: ['https://app.example/cb#frag'] }), (err) => {
    assert.ok(err instanceof oauth.ResponseBodyError);
    assert.equal(err.status, 400);
    assert.equal(err.error, 'invalid_redirect_uri');
    return true;
  });
  const cases = [
    [{ redirect_uris: ['https://app.example/cb#frag'] }, 'invalid_redirect_uri'],
    [{ redirect_uris: ['http://app.example/cb'] }, 'invalid_redirect_uri'],
    [{ grant_types: ['urn:example:unknown'] }, 'invalid_client_metadata'],
    [{ grant_types: ['password'] }, 'invalid_client_metadata'],
    [{ grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' }, 'invalid_client_metadata'],
    [{ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt' }, 'invalid_client_metadata'],
    [{ grant_types: ['client_credentials'], scope: 'read  write' }, 'invalid_client_metadata'],
    // a redirect URI ends up in a Location header: printable ASCII only (found by fuzzing)
    [{ redirect_uris: ['https://app.example/cb\r\nSet-Cookie:x=1'] }, 'invalid_redirect_uri'],
    [{ redirect_uris: ['https://app.example/c\u0001b'] }, 'invalid_redirect_uri'],
    [{ redirect_uris: ['https://app.example/c\tb'] }, 'invalid_redirect_uri'],
    [{ redirect_uris: ['https://app.example/caf\u00e9'] }, 'invalid_redirect_uri'],
    [{ redirect_uris: ['http://localhost:99999/cb'] }, 'invalid_redirect_uri'],
    [{ redirect_uris: ['http://127.0.0.1:0/cb'] }, 'invalid_redirect_uri'],
    [{ redirect_uris: ['https://app.example:70000/cb'] }, 'invalid_redirect_uri'],
    [{ redirect_uris: ['https://app.example:/cb'] }, 'invalid_redirect_uri'],
    [{ redirect_uris: ['https://app.example/cb', 'https://app.example/cb'] }, 'invalid_redirect_uri'],
    [{ redirect_uris: Array.from({ length: 65 }, (_, i) => `https://app.example/cb${i}`) }, 'invalid_redirect_uri'],
    [{ grant_types: [] }, 'invalid_client_metadata'],
    [{ grant_types: ['client_credentials', 'client_credentials'] }, 'invalid_client_metadata'],
    [{ grant_types: ['client_credentials'], authorized_origins: ['https://app.example\r\n'] }, 'invalid_client_metadata'],
  ];
  for (const [meta, code] of cases) {
    const r = await rawRegister(server, meta);
    assert.equal(r.status, 400, JSON.stringify(meta));
    assert.equal(r.json.error, code, JSON.stringify(meta));
    assert.ok(r.json.error_description, JSON.stringify(meta));
    assert.match(r.headers.get('cache-control'), /no-store/);
  }  // ports and IPv6 literals that are fine
  for (const uri of ['https://app.example:8443/cb', 'https://[2001:db8::1]:8443/cb', 'https://[2001:db8::1]/cb', 'http://localhost:65535/cb']) {
    const r = await rawRegister(server, { redirect_uris: [uri] });
    assert.equal(r.status, 201, `${uri}: ${r.text}`);
  }
});

test('a body that is not a JSON object, or not application/json, is refused with 400', async () => {
  for (const body of ['{"grant_types": ', 'not json', '[]', '"client"', '']) {
    const r = await rawRegister(server, body);
    assert.equal(r.status, 400, body);
    assert.equal(r.json.error, 'invalid_client_metadata', body);
  }
  const dup = await rawRegister(server, '{"client_name":"a","client_name":"b","grant_types":["client_credentials"]}');
  assert.equal(dup.status, 400);
  const plain = await rawRegister(server, JSON.stringify({ grant_types: ['client_credentials'] }), { contentType: 'text/plain' });
  assert.equal(plain.status, 400);
  assert.equal(plain.json.error, 'invalid_client_metadata');
  assert.match(plain.json.error_description, /application\/json/);
  const form = await rawRegister(server, 'grant_types=client_credentials', { contentType: 'application/x-www-form-urlencoded' });
  assert.equal(form.status, 400);
});

test('other methods on the registration endpoint get 405 with Allow', async () => {
  const r = await parsed(await fetch(`${server.url}/register`));
  assert.equal(r.status, 405);
  assert.equal(r.headers.get('allow'), 'POST');
});

test('an initial access token, when configured, is required as a Bearer token', async () => {
  const iat = 'initial-access-token-for-tests-0123456789';
  const s = await startServer({ config: { dynamicRegistrationInitialAccessToken: iat } });
  try {
    const meta = { grant_types: ['client_credentials'] };
    const none = await rawRegister(s, meta);
    assert.equal(none.status, 401);
    assert.equal(none.json.error, 'invalid_token');
    assert.match(none.headers.get('www-authenticate'), /^Bearer/);
    const wrong = await rawRegister(s, meta, { headers: { authorization: `Bearer ${iat}x` } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.error, 'invalid_token');
    assert.match(wrong.headers.get('www-authenticate'), /^Bearer.*invalid_token/);
    const basicAuth = await rawRegister(s, meta, { headers: { authorization: basic('a', iat) } });
    assert.equal(basicAuth.status, 401);
    // unauthenticated callers learn nothing about their body
    const junk = await rawRegister(s, 'not json');
    assert.equal(junk.status, 401);

    const sas = await discover(s);
    const c = await register(meta, { initialAccessToken: iat }, sas);
    assert.ok(c.client_id && c.client_secret);
    const res = await oauth.clientCredentialsGrantRequest(sas, { client_id: c.client_id },
      oauth.ClientSecretBasic(c.client_secret), new URLSearchParams(), insecure);
    const t = await oauth.processClientCredentialsResponse(sas, { client_id: c.client_id }, res);
    assert.ok(t.access_token);

    // a registrant given the initial access token may register scopes of the deployment's own
    const own = await register({ grant_types: ['client_credentials'], scope: 'read write' }, { initialAccessToken: iat }, sas);
    assert.equal(own.scope, 'read write');
    const priv = await rawRegister(s, { grant_types: ['client_credentials'], scope: 'revoke_any_token' }, { headers: { authorization: `Bearer ${iat}` } });
    assert.equal(priv.status, 400, 'the privileged ones never');
  } finally {
    await s.cleanup();
  }
});

test('open registration (no initial access token) registers only the standard scopes', async () => {
  // found in review: anyone could register scope "admin" and get tokens introspected with it
  for (const scope of ['admin', 'read write', 'openid admin']) {
    const r = await rawRegister(server, { grant_types: ['client_credentials'], scope });
    assert.equal(r.status, 400, scope);
    assert.equal(r.json.error, 'invalid_client_metadata');
    assert.match(r.json.error_description, /initial access token/);
  }
  const ok = await register({ grant_types: ['client_credentials'], scope: 'openid profile email offline_access' });
  assert.equal(ok.scope, 'openid profile email offline_access');
  // nor through an RFC 7592 update
  const { registration_client_uri: uri, registration_access_token: tok, client_secret_expires_at, client_id_issued_at, ...cur } = ok;
  delete cur.client_secret;
  const upd = await manage(uri, 'PUT', tok, { ...cur, scope: 'admin' });
  assert.equal(upd.status, 400, upd.text);
  assert.equal(upd.json.error, 'invalid_client_metadata');
});

test('the initial access token is kept only as its digest: not in GET /admin/config, the database files or the logs', async () => {
  const fromFile = 'initial-access-token-from-the-file-0123456789';
  const patched = 'initial-access-token-set-by-patch-9876543210';
  const s = await startServer({ config: { dynamicRegistrationInitialAccessToken: fromFile } });
  try {
    const sha = (v) => 'sha256:' + createHash('sha256').update(v).digest('hex');
    let cfg = await s.admin('GET', '/config');
    assert.equal(cfg.status, 200);
    assert.equal(cfg.json.dynamicRegistrationInitialAccessToken, sha(fromFile));
    const meta = { grant_types: ['client_credentials'] };
    assert.equal((await rawRegister(s, meta, { headers: { authorization: `Bearer ${fromFile}` } })).status, 201);

    const p = await s.admin('PATCH', '/config', { dynamicRegistrationInitialAccessToken: patched });
    assert.equal(p.status, 200);
    assert.equal(p.json.dynamicRegistrationInitialAccessToken, sha(patched));
    assert.equal((await rawRegister(s, meta, { headers: { authorization: `Bearer ${fromFile}` } })).status, 401);
    assert.equal((await rawRegister(s, meta, { headers: { authorization: `Bearer ${patched}` } })).status, 201);
    // the digest form is accepted as a value too, and is not itself a token
    const again = await s.admin('PATCH', '/config', { dynamicRegistrationInitialAccessToken: sha(patched) });
    assert.equal(again.json.dynamicRegistrationInitialAccessToken, sha(patched));
    assert.equal((await rawRegister(s, meta, { headers: { authorization: `Bearer ${sha(patched)}` } })).status, 401);
    assert.equal((await rawRegister(s, meta, { headers: { authorization: `Bearer ${patched}` } })).status, 201);

    await s.stop(); // the WAL checkpointed into the database file, and the log complete
    const files = readdirSync(s.dir).filter((f) => f.startsWith('rescind.db'));
    assert.ok(files.length >= 1);
    for (const f of files) {
      const b = readFileSync(join(s.dir, f));
      for (const secret of [fromFile, patched]) assert.equal(b.indexOf(Buffer.from(secret)), -1, `${secret} found in ${f}`);
    }
    for (const secret of [fromFile, patched]) assert.equal(s.stderr.indexOf(secret), -1, 'initial access token in the logs');
  } finally {
    await s.cleanup();
  }
});

test('dynamicRegistrationEnabled false: 403 and no registration_endpoint in discovery', async () => {
  const s = await startServer({ config: { dynamicRegistrationEnabled: false } });
  try {
    const r = await rawRegister(s, { grant_types: ['client_credentials'] });
    assert.equal(r.status, 403);
    assert.equal(r.json.error, 'access_denied');
    assert.equal(r.json.error_description, 'dynamic registration is disabled');
    const m = await parsed(await fetch(`${s.url}/register/some-client`, { headers: { authorization: 'Bearer x' } }));
    assert.equal(m.status, 403);
    for (const p of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const d = await (await fetch(s.url + p)).json();
      assert.ok(d.token_endpoint, p);
      assert.equal(d.registration_endpoint, undefined, p);
    }
  } finally {
    await s.cleanup();
  }
});

test('the DYNAMIC_REGISTRATION feature flag switched off also gives 403', async () => {
  const s = await startServer({ config: { featureFlags: ['REVOKE_TOKEN', 'INTROSPECTION'] } });
  try {
    const r = await rawRegister(s, { grant_types: ['client_credentials'] });
    assert.equal(r.status, 403);
    assert.equal(r.json.error, 'access_denied');
    const d = await (await fetch(`${s.url}/.well-known/openid-configuration`)).json();
    assert.equal(d.registration_endpoint, undefined);
  } finally {
    await s.cleanup();
  }
});

test('RFC 7592 read and update with the registration access token', async () => {
  const c = await register({
    redirect_uris: ['https://app.example/cb'],
    grant_types: ['authorization_code', 'client_credentials'],
    client_name: 'before',
    scope: 'profile email',
  });
  const uri = c.registration_client_uri;
  const tok = c.registration_access_token;

  // HEAD reads like GET (it once fell through to the delete; found by fuzzing)
  const head = await manage(uri, 'HEAD', tok);
  assert.equal(head.status, 200);
  assert.equal(head.text, '');

  const read = await manage(uri, 'GET', tok);
  assert.equal(read.status, 200);
  assert.match(read.headers.get('cache-control'), /no-store/);
  assert.equal(read.json.client_id, c.client_id);
  assert.equal(read.json.client_name, 'before');
  assert.deepEqual(read.json.redirect_uris, ['https://app.example/cb']);
  assert.equal(read.json.registration_client_uri, uri);
  assert.equal(read.json.client_secret, undefined, 'a read never returns the secret');
  assert.equal(read.json.registration_access_token, undefined);
  assert.ok(!read.text.includes(c.client_secret));

  const { registration_client_uri, client_id_issued_at, client_secret_expires_at, ...current } = read.json;
  const next = { ...current, client_name: 'after', redirect_uris: ['https://app.example/cb2', 'https://app.example/cb3'] };
  const upd = await manage(uri, 'PUT', tok, next);
  assert.equal(upd.status, 200, upd.text);
  assert.equal(upd.json.client_name, 'after');
  assert.deepEqual(upd.json.redirect_uris, ['https://app.example/cb2', 'https://app.example/cb3']);
  assert.equal(upd.json.client_id, c.client_id);
  assert.equal(upd.json.client_id_issued_at, client_id_issued_at);
  assert.equal(upd.json.client_secret, undefined);

  const again = await manage(uri, 'GET', tok);
  assert.equal(again.status, 200);
  assert.equal(again.json.client_name, 'after');
  assert.deepEqual(again.json.redirect_uris, ['https://app.example/cb2', 'https://app.example/cb3']);
  assert.equal(again.json.scope, 'profile email');

  // the secret and the registration token survive an update
  const t = await clientCredentials(as, c, 'email');
  assert.equal(t.scope, 'email');

  // the current secret may be repeated (RFC 7592 §2.2)
  const withSecret = await manage(uri, 'PUT', tok, { ...next, client_secret: c.client_secret, client_name: 'third' });
  assert.equal(withSecret.status, 200, withSecret.text);
  assert.equal(withSecret.json.client_name, 'third');

  // full replacement: an omitted member takes its default
  const { client_name, ...unnamed } = next;
  const replaced = await manage(uri, 'PUT', tok, unnamed);
  assert.equal(replaced.status, 200, replaced.text);
  assert.equal(replaced.json.client_name, undefined);
  assert.equal((await manage(uri, 'GET', tok)).json.client_name, undefined);
});

test('RFC 7592 update errors: client_id, secret, metadata, content type', async () => {
  const c = await register({ grant_types: ['client_credentials'], client_name: 'strict' });
  const uri = c.registration_client_uri;
  const tok = c.registration_access_token;
  const base = { client_id: c.client_id, grant_types: ['client_credentials'], client_name: 'strict' };
  const cases = [
    [{ ...base, client_id: undefined }, 'invalid_client_metadata'],
    [{ ...base, client_id: 'someone-else' }, 'invalid_client_metadata'],
    [{ ...base, client_secret: 'a-secret-of-my-own-choosing' }, 'invalid_client_metadata'],
    [{ ...base, client_secret: 42 }, 'invalid_client_metadata'],
    [{ ...base, grant_types: ['password'] }, 'invalid_client_metadata'],
    [{ ...base, redirect_uris: ['http://evil.example/cb'] }, 'invalid_redirect_uri'],
  ];
  for (const [body, code] of cases) {
    const r = await manage(uri, 'PUT', tok, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.json.error, code, JSON.stringify(body));
  }
  const plain = await manage(uri, 'PUT', tok, JSON.stringify(base), 'text/plain');
  assert.equal(plain.status, 400);
  assert.equal(plain.json.error, 'invalid_client_metadata');
  const notObject = await manage(uri, 'PUT', tok, '[1]');
  assert.equal(notObject.status, 400);
  // nothing changed, and the secret still works
  const read = await manage(uri, 'GET', tok);
  assert.equal(read.json.client_name, 'strict');
  assert.equal((await tokenRaw(c)).status, 200);
});

test('a public client cannot switch to a secret method on update (it has no secret)', async () => {
  const c = await register({ redirect_uris: ['http://localhost:8080/cb'], token_endpoint_auth_method: 'none' });
  const body = {
    client_id: c.client_id,
    redirect_uris: ['http://localhost:8080/cb'],
    token_endpoint_auth_method: 'client_secret_basic',
  };
  const r = await manage(c.registration_client_uri, 'PUT', c.registration_access_token, body);
  assert.equal(r.status, 400);
  assert.equal(r.json.error, 'invalid_client_metadata');
  const read = await manage(c.registration_client_uri, 'GET', c.registration_access_token);
  assert.equal(read.json.token_endpoint_auth_method, 'none');
});

test('RFC 7592 authentication: a wrong token, another client\'s token or an unknown client all get 401', async () => {
  const a = await register({ grant_types: ['client_credentials'] });
  const b = await register({ grant_types: ['client_credentials'] });
  const checks = [
    [a.registration_client_uri, undefined],
    [a.registration_client_uri, a.registration_access_token + 'x'],
    [a.registration_client_uri, b.registration_access_token],
    [a.registration_client_uri, a.client_secret],
    [`${as.registration_endpoint}/0123456789abcdef0123456789abcdef`, a.registration_access_token],
    [`${as.registration_endpoint}/${'x'.repeat(200)}`, a.registration_access_token],
    [`${a.registration_client_uri}/extra`, a.registration_access_token],
  ];
  for (const [uri, tok] of checks) {
    for (const method of ['GET', 'DELETE']) {
      const r = await manage(uri, method, tok);
      assert.equal(r.status, 401, `${method} ${uri} ${tok ? 'with' : 'without'} token`);
      assert.equal(r.json.error, 'invalid_token');
      assert.match(r.headers.get('www-authenticate'), /^Bearer/);
    }
  }
  const put = await manage(a.registration_client_uri, 'PUT', b.registration_access_token, {
    client_id: a.client_id, grant_types: ['client_credentials'], client_name: 'hijack',
  });
  assert.equal(put.status, 401);
  const post = await manage(a.registration_client_uri, 'POST', a.registration_access_token, {});
  assert.equal(post.status, 405);
  assert.match(post.headers.get('allow'), /GET.*PUT.*DELETE/);
  // nothing above changed or deleted a
  const read = await manage(a.registration_client_uri, 'GET', a.registration_access_token);
  assert.equal(read.status, 200);
  assert.equal(read.json.client_name, undefined);
});

test('RFC 7592 delete: 204, earlier tokens become inactive, the client can no longer authenticate', async () => {
  const c = await register({ grant_types: ['client_credentials'], client_name: 'short-lived' });
  const t = await clientCredentials(as, c);
  assert.equal((await introspect(as, observer, t.access_token)).active, true);

  const del = await manage(c.registration_client_uri, 'DELETE', c.registration_access_token);
  assert.equal(del.status, 204);
  assert.equal(del.text, '');

  const i = await introspect(as, observer, t.access_token);
  assert.equal(i.active, false);
  assert.deepEqual(Object.keys(i), ['active']);
  const tr = await tokenRaw(c);
  assert.equal(tr.status, 401);
  assert.equal(tr.json.error, 'invalid_client');
  const read = await manage(c.registration_client_uri, 'GET', c.registration_access_token);
  assert.equal(read.status, 401);
  const again = await manage(c.registration_client_uri, 'DELETE', c.registration_access_token);
  assert.equal(again.status, 401);
});

test('RFC 7592 delete of a client with a user grant: its access, refresh and ID tokens all stop at once', async () => {
  const { codeFlow } = await import('./lib/flow.mjs');
  const { refresh } = await import('./lib/oauth.mjs');
  const redirect = 'http://127.0.0.1:9/cb';
  await server.createUser('dora', 'correct horse battery staple');
  const c = await register({ redirect_uris: [redirect], grant_types: ['authorization_code', 'refresh_token'], scope: 'openid offline_access', client_name: 'with users' });
  const t = await codeFlow(as, c, { username: 'dora', password: 'correct horse battery staple', scope: 'openid offline_access', redirectUri: redirect });
  assert.ok(t.refresh_token && t.id_token);
  for (const tok of [t.access_token, t.refresh_token]) assert.equal((await introspect(as, observer, tok)).active, true);
  const del = await manage(c.registration_client_uri, 'DELETE', c.registration_access_token);
  assert.equal(del.status, 204);
  for (const tok of [t.access_token, t.refresh_token, t.id_token]) assert.equal((await introspect(as, observer, tok)).active, false);
  const r = await fetch(as.userinfo_endpoint, { headers: { authorization: `Bearer ${t.access_token}` } });
  assert.equal(r.status, 401);
  await assert.rejects(refresh(as, c, t.refresh_token), (e) => e.error === 'invalid_client' || e.status === 401);
});

test('client secrets and registration tokens are not stored or logged in plain text', async () => {
  const c = await register({ grant_types: ['client_credentials'], client_name: 'needle' });
  await clientCredentials(as, c);
  assert.ok(secrets.length >= 10);
  const files = [server.dbPath, `${server.dbPath}-wal`].filter((f) => existsSync(f));
  const bytes = files.map((f) => readFileSync(f));
  // the search does find what is stored in the clear, so a miss below means something
  assert.ok(bytes.some((b) => b.includes(c.client_id)), 'client_id is in the database');
  for (const s of secrets) {
    for (let k = 0; k < files.length; k++) {
      assert.ok(!bytes[k].includes(s), `a secret is in ${files[k]}`);
    }
    assert.ok(!server.stderr.includes(s), 'a secret is in the server log');
    assert.ok(!server.stdout.includes(s), 'a secret is on stdout');
  }
});
