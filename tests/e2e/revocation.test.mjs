// RFC 7009 revocation as Janssen documents it, without Janssen's bugs. One test per case of
// docs/revocation.md; each asserts the effect afterwards (introspection, userinfo, refresh),
// not only the status code.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, basic } from './lib/server.mjs';
import { oauth, discover, clientCredentials, introspect, insecure, clientOf, authOf, revoke, refresh, userinfo } from './lib/oauth.mjs';
import { codeFlow, login } from './lib/flow.mjs';

const REDIRECT = 'http://127.0.0.1:9/cb';
const USER = { username: 'alice', password: 'correct horse battery' };

async function setup(config) {
  const server = await startServer(config ? { config } : undefined);
  const as = await discover(server);
  await server.createUser(USER.username, USER.password, { email: 'alice@example.com' });
  const mk = (extra = {}) =>
    server.createClient({
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      scope: 'openid profile email offline_access read',
      ...extra,
    });
  return { server, as, mk };
}

const userTokens = (as, c, scope = 'openid offline_access') => codeFlow(as, c, { ...USER, scope, redirectUri: REDIRECT });
const active = async (as, rs, token) => (await introspect(as, rs, token)).active;
const rawToken = (server, c, params) => server.form('/token', params, { headers: { authorization: basic(c.client_id, c.client_secret) } });
const rawRevoke = (server, c, params, opts = {}) => server.form('/revoke', params, { ...opts, headers: { authorization: basic(c.client_id, c.client_secret), ...(opts.headers || {}) } });

async function refreshFails(as, c, rt) {
  await assert.rejects(refresh(as, c, rt), (e) => e.error === 'invalid_grant');
}
async function userinfoStatus(as, token) {
  const r = await fetch(as.userinfo_endpoint, { headers: { authorization: `Bearer ${token}` } });
  return r.status;
}

describe('revocation, default configuration', () => {
  let server, as, mk, a, b, rs, pub;
  before(async () => {
    ({ server, as, mk } = await setup());
    a = await mk({ client_name: 'A' });
    b = await mk({ client_name: 'B' });
    rs = await mk({ client_name: 'resource server', grant_types: ['client_credentials'], redirect_uris: [] });
    pub = await mk({ client_name: 'public', token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] });
  });
  after(async () => server.cleanup());

  test('revoking a refresh token revokes the whole grant (access token, userinfo, refresh)', async () => {
    const t = await userTokens(as, a);
    assert.ok(t.refresh_token && t.id_token);
    assert.equal(await userinfoStatus(as, t.access_token), 200);
    await revoke(as, a, t.refresh_token, 'refresh_token');
    assert.equal(await active(as, rs, t.access_token), false);
    assert.equal(await active(as, rs, t.refresh_token), false);
    assert.equal(await userinfoStatus(as, t.access_token), 401);
    await refreshFails(as, a, t.refresh_token);
  });

  test('revoking an access token revokes its refresh token too', async () => {
    const t = await userTokens(as, a);
    await revoke(as, a, t.access_token, 'access_token');
    assert.equal(await userinfoStatus(as, t.access_token), 401);
    await refreshFails(as, a, t.refresh_token);
  });

  test('revoking the id_token of a grant revokes the grant', async () => {
    const t = await userTokens(as, a);
    await revoke(as, a, t.id_token);
    assert.equal(await active(as, rs, t.access_token), false);
    await refreshFails(as, a, t.refresh_token);
  });

  test('revoking after a refresh also kills the rotated tokens of the same grant', async () => {
    const t = await userTokens(as, a);
    const t2 = await refresh(as, a, t.refresh_token);
    await revoke(as, a, t2.refresh_token);
    assert.equal(await active(as, rs, t.access_token), false);
    assert.equal(await active(as, rs, t2.access_token), false);
    await refreshFails(as, a, t2.refresh_token);
  });

  test('revoking an already rotated refresh token revokes its grant, with the tokens that replaced it', async () => {
    // found by stress testing: a logout with the refresh token the client stored last time
    // answered 200 and left the grant alive
    const t = await userTokens(as, a);
    const t2 = await refresh(as, a, t.refresh_token);
    await revoke(as, a, t.refresh_token); // the used one
    assert.equal(await active(as, rs, t2.access_token), false);
    await refreshFails(as, a, t2.refresh_token);
    // a redeemed authorization code names its grant the same way
    const signedIn = await login(as, a, { ...USER, scope: 'openid offline_access', redirectUri: REDIRECT });
    const code = signedIn.location.searchParams.get('code');
    const tok = await rawToken(server, a, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: signedIn.verifier });
    assert.equal(tok.status, 200, tok.text);
    assert.equal(await active(as, rs, tok.json.access_token), true);
    await revoke(as, a, code);
    assert.equal(await active(as, rs, tok.json.access_token), false);
    await refreshFails(as, a, tok.json.refresh_token);
  });

  test('no hint: any token type is found', async () => {
    const t = await userTokens(as, a);
    await revoke(as, a, t.refresh_token);
    await refreshFails(as, a, t.refresh_token);
    assert.equal(await active(as, rs, t.access_token), false);
  });

  test('wrong hint falls back to every type (RFC 7009 §2.1 MUST; Janssen misses this one)', async () => {
    const t = await userTokens(as, a);
    await revoke(as, a, t.refresh_token, 'access_token'); // a refresh token with the access_token hint
    await refreshFails(as, a, t.refresh_token);
    assert.equal(await active(as, rs, t.access_token), false);

    const u = await userTokens(as, a);
    await revoke(as, a, u.access_token, 'refresh_token');
    assert.equal(await userinfoStatus(as, u.access_token), 401);
  });

  test('unknown hint values are ignored', async () => {
    const t = await clientCredentials(as, a, 'read');
    await revoke(as, a, t.access_token, 'foo');
    assert.equal(await active(as, rs, t.access_token), false);
  });

  test('unknown, malformed and already revoked tokens → 200 and nothing else is touched', async () => {
    const keep = await clientCredentials(as, a, 'read');
    for (const tok of ['unknown-token', 'x'.repeat(300), '%%%', 'all']) {
      const r = await rawRevoke(server, a, { token: tok });
      assert.equal(r.status, 200, tok);
      assert.equal(r.text, '');
    }
    const gone = await clientCredentials(as, a, 'read');
    await revoke(as, a, gone.access_token);
    await revoke(as, a, gone.access_token); // again: still 200
    assert.equal(await active(as, rs, keep.access_token), true, 'the other token is untouched');
  });

  test('an expired token → 200 and its grant is not touched', async () => {
    const s = await startServer({ config: { accessTokenLifetime: 1 } });
    try {
      const sas = await discover(s);
      const c = await s.createClient({ grant_types: ['client_credentials'] });
      const t1 = await clientCredentials(sas, c);
      await new Promise((r) => setTimeout(r, 2100));
      const r = await s.form('/revoke', { token: t1.access_token }, { headers: { authorization: basic(c.client_id, c.client_secret) } });
      assert.equal(r.status, 200);
      // a request that changes nothing has its audit record queued, not awaited: poll briefly
      let ev;
      for (let i = 0; i < 50 && !ev?.json?.events?.length; i++) {
        await new Promise((res) => setTimeout(res, 20));
        ev = await s.admin('GET', `/audit?event=revoke&client_id=${c.client_id}&limit=1`);
      }
      assert.equal(ev.json.events[0].outcome, 'nothing_to_revoke');
      assert.equal(ev.json.events[0].detail.tokens_revoked, 0);
    } finally {
      await s.cleanup();
    }
  });

  test('the expired access token of a user grant → 200 and the grant\'s refresh token stays valid', async () => {
    const x = await setup({ accessTokenLifetime: 1 });
    try {
      const c = await x.mk();
      const xrs = await x.mk({ grant_types: ['client_credentials'], redirect_uris: [] });
      const t = await userTokens(x.as, c);
      await new Promise((r) => setTimeout(r, 2100));
      assert.equal(await active(x.as, xrs, t.access_token), false, 'expired');
      const r = await rawRevoke(x.server, c, { token: t.access_token, token_type_hint: 'access_token' });
      assert.equal(r.status, 200);
      assert.equal(await active(x.as, xrs, t.refresh_token), true, 'the grant is not touched');
      const t2 = await refresh(x.as, c, t.refresh_token);
      assert.ok(t2.access_token, 'the refresh still works');
    } finally {
      await x.server.cleanup();
    }
  });

  test('success is 200 with an empty body, Cache-Control: no-store and Pragma: no-cache', async () => {
    const t = await clientCredentials(as, a, 'read');
    const r = await rawRevoke(server, a, { token: t.access_token, token_type_hint: 'access_token' });
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(r.headers.get('pragma'), 'no-cache');
    assert.equal(await active(as, rs, t.access_token), false);
  });

  test('a token of another client → 400 invalid_request and it stays alive', async () => {
    const t = await userTokens(as, b);
    const r = await rawRevoke(server, a, { token: t.refresh_token });
    assert.equal(r.status, 400);
    assert.equal(r.json.error, 'invalid_request');
    assert.equal(r.json.reason, undefined, 'no reason unless errorReasonEnabled');
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(await active(as, rs, t.access_token), true);
    const t2 = await refresh(as, b, t.refresh_token);
    assert.ok(t2.access_token);
  });

  test('several space-separated tokens are revoked together', async () => {
    const t1 = await clientCredentials(as, a, 'read');
    const t2 = await userTokens(as, a);
    const r = await rawRevoke(server, a, { token: `${t1.access_token} ${t2.refresh_token}` });
    assert.equal(r.status, 200);
    assert.equal(await active(as, rs, t1.access_token), false);
    assert.equal(await active(as, rs, t2.access_token), false);
  });

  test('several tokens with one foreign token → 400 and none is revoked (atomic)', async () => {
    const mine = await clientCredentials(as, a, 'read');
    const mine2 = await userTokens(as, a);
    const theirs = await clientCredentials(as, b, 'read');
    const r = await rawRevoke(server, a, { token: `${mine.access_token} ${theirs.access_token} ${mine2.access_token}` });
    assert.equal(r.status, 400);
    assert.equal(r.json.error, 'invalid_request');
    for (const tok of [mine.access_token, theirs.access_token, mine2.access_token]) assert.equal(await active(as, rs, tok), true);
  });

  test('"all" is an ordinary unknown token while allowAllValueForRevokeEndpoint is false', async () => {
    const t = await clientCredentials(as, a, 'read');
    let r = await rawRevoke(server, a, { token: 'all' });
    assert.equal(r.status, 200);
    r = await rawRevoke(server, a, { token: 'nothing', token_type_hint: 'all' });
    assert.equal(r.status, 200);
    assert.equal(await active(as, rs, t.access_token), true);
    // token_type_hint=all is then an unknown hint: ignored, the presented token is revoked as usual
    const other = await clientCredentials(as, a, 'read');
    r = await rawRevoke(server, a, { token: other.access_token, token_type_hint: 'all' });
    assert.equal(r.status, 200);
    assert.equal(await active(as, rs, other.access_token), false);
    assert.equal(await active(as, rs, t.access_token), true, 'only the presented token');
  });

  test('public client: client_id identifies it and it revokes its own grant', async () => {
    const t = await userTokens(as, pub);
    await revoke(as, pub, t.refresh_token);
    await refreshFails(as, pub, t.refresh_token);
    assert.equal(await active(as, rs, t.access_token), false);
    // without client_id there is no client
    const t2 = await userTokens(as, pub);
    const r = await server.form('/revoke', { token: t2.refresh_token });
    assert.equal(r.status, 401);
    assert.equal(r.json.error, 'invalid_client');
    assert.equal(await active(as, rs, t2.access_token), true);
  });

  test('client authentication failures → 401 invalid_client, nothing revoked', async () => {
    const t = await clientCredentials(as, a, 'read');
    let r = await server.form('/revoke', { token: t.access_token }, { headers: { authorization: basic(a.client_id, 'wrong') } });
    assert.equal(r.status, 401);
    assert.equal(r.json.error, 'invalid_client');
    assert.match(r.headers.get('www-authenticate'), /^Basic /);
    r = await server.form('/revoke', { token: t.access_token, client_id: a.client_id, client_secret: 'wrong' });
    assert.equal(r.status, 401);
    r = await server.form('/revoke', { token: t.access_token, client_id: 'unknown' });
    assert.equal(r.status, 401);
    r = await server.form('/revoke', { token: t.access_token }); // no credentials at all
    assert.equal(r.status, 401);
    assert.equal(r.json.error, 'invalid_client');
    assert.equal(await active(as, rs, t.access_token), true);
  });

  test('malformed requests: method, content type, repeated parameter, missing token', async () => {
    let r = await fetch(server.url + '/revoke');
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'POST');
    assert.equal((await r.json()).error, 'invalid_request');
    r = await fetch(server.url + '/revoke', { method: 'PUT' });
    assert.equal(r.status, 405);

    const t = await clientCredentials(as, a, 'read');
    let x = await rawRevoke(server, a, JSON.stringify({ token: t.access_token }), { contentType: 'application/json' });
    assert.equal(x.status, 400);
    assert.equal(x.json.error, 'invalid_request');
    x = await rawRevoke(server, a, `token=${t.access_token}&token=${t.access_token}`);
    assert.equal(x.status, 400);
    assert.equal(x.json.error, 'invalid_request');
    x = await rawRevoke(server, a, `token=${t.access_token}&token_type_hint=a&token_type_hint=b`);
    assert.equal(x.status, 400);
    for (const body of ['', 'token=', 'token=%20%20', 'token=+', 'token=%09', 'token=%0A', 'token=%0D%0A', 'token=%20%09%20', 'token_type_hint=access_token']) {
      x = await rawRevoke(server, a, body);
      assert.equal(x.status, 400, body);
      assert.equal(x.json.error, 'invalid_request');
      assert.ok(x.json.error_description);
    }
    x = await rawRevoke(server, a, 'token=' + 'a'.repeat(100 * 1024));
    assert.equal(x.status, 413);
    assert.equal(await active(as, rs, t.access_token), true);
  });

  test('200 parallel revocations of distinct tokens are all effective', async () => {
    const toks = [];
    for (let i = 0; i < 200; i++) toks.push((await clientCredentials(as, a, 'read')).access_token);
    const rs200 = await Promise.all(toks.map((tok) => rawRevoke(server, a, { token: tok })));
    assert.ok(rs200.every((r) => r.status === 200));
    const states = await Promise.all(toks.map((tok) => active(as, rs, tok)));
    assert.ok(states.every((s) => s === false));
  });

  test('every revocation request leaves one audit record, never the token', async () => {
    const before = (await server.admin('GET', `/audit?event=revoke&client_id=${a.client_id}&limit=1000`)).json.events.length;
    const t = await clientCredentials(as, a, 'read');
    const answers = [
      await rawRevoke(server, a, { token: t.access_token, token_type_hint: 'access_token' }),
      await rawRevoke(server, a, { token: 'unknown' }),
      await rawRevoke(server, a, ''),
      await server.form('/revoke', { token: 'x' }, { headers: { authorization: basic(a.client_id, 'wrong') } }),
    ];
    // records of no-op outcomes are written asynchronously (within a few ms): poll up to 3 s,
    // then check that there are exactly four
    const list = async () => (await server.admin('GET', `/audit?event=revoke&client_id=${a.client_id}&limit=1000`)).json.events;
    let ev = await list();
    for (let i = 0; i < 60 && ev.length - before < 4; i++) {
      await new Promise((r) => setTimeout(r, 50));
      ev = await list();
    }
    await new Promise((r) => setTimeout(r, 100));
    ev = await list();
    assert.equal(ev.length - before, 4);
    const outcomes = ev.slice(0, 4).map((e) => e.outcome).sort();
    assert.deepEqual(outcomes, ['invalid_client', 'invalid_request', 'nothing_to_revoke', 'revoked']);
    const revoked = ev.find((e) => e.outcome === 'revoked');
    assert.equal(revoked.detail.tokens_revoked, 1);
    assert.equal(revoked.detail.grant_ids.length, 1);
    assert.equal(revoked.detail.hint, 'access_token');
    assert.ok(revoked.time > 0);
    assert.equal(JSON.stringify(ev).indexOf(t.access_token), -1);
    // each record names its request: the X-Request-Id of the answer (and of the log lines)
    const ids = answers.map((r) => r.headers.get('x-request-id'));
    assert.ok(ids.every((id) => /^[0-9a-f]{16}$/.test(id)), ids.join());
    assert.deepEqual(ev.slice(0, 4).map((e) => e.detail.request_id).sort(), [...ids].sort());
  });

  test('refusals are audited with their outcome: a foreign token, a wrong method, the feature off, more than 100 tokens', async () => {
    const byId = async (rid) => {
      for (let i = 0; i < 60; i++) {
        const ev = (await server.admin('GET', '/audit?event=revoke&limit=50')).json.events.find((e) => e.detail.request_id === rid);
        if (ev) return ev;
        await new Promise((r) => setTimeout(r, 50));
      }
      return undefined;
    };
    const foreign = await clientCredentials(as, b, 'read');
    let r = await rawRevoke(server, a, { token: foreign.access_token });
    assert.equal(r.status, 400);
    assert.equal((await byId(r.headers.get('x-request-id')))?.outcome, 'refused_foreign_token');
    assert.equal(await active(as, rs, foreign.access_token), true);
    r = await fetch(server.url + '/revoke');
    assert.equal(r.status, 405);
    assert.equal((await byId(r.headers.get('x-request-id')))?.outcome, 'method_not_allowed');
    // more than 100 space-separated tokens: 400, and none of them revoked
    const own = await clientCredentials(as, a, 'read');
    r = await rawRevoke(server, a, { token: [own.access_token, ...Array.from({ length: 100 }, (_, i) => 'x' + i)].join(' ') });
    assert.equal(r.status, 400);
    assert.equal(r.json.error, 'invalid_request');
    assert.equal((await byId(r.headers.get('x-request-id')))?.outcome, 'invalid_request');
    assert.equal(await active(as, rs, own.access_token), true, 'not revoked');
    r = await rawRevoke(server, a, { token: [own.access_token, ...Array.from({ length: 99 }, (_, i) => 'x' + i)].join(' ') });
    assert.equal(r.status, 200, '100 tokens are allowed');
    assert.equal(await active(as, rs, own.access_token), false);
    const p = await server.admin('PATCH', '/config', { featureFlags: ['INTROSPECTION'] });
    assert.equal(p.status, 200, p.text);
    try {
      r = await rawRevoke(server, a, { token: 'x' });
      assert.equal(r.status, 403);
      assert.equal((await byId(r.headers.get('x-request-id')))?.outcome, 'feature_disabled');
    } finally {
      await server.admin('PATCH', '/config', { featureFlags: [] });
    }
  });

  test('an audit record keeps a hint of up to 63 characters, not a hint the size of a body', async () => {
    const list = async () => (await server.admin('GET', `/audit?event=revoke&client_id=${a.client_id}&limit=1000`)).json.events;
    for (const [hint, kept] of [['h'.repeat(5000), false], ['refresh_token', true]]) {
      const before = (await list()).length;
      const r = await rawRevoke(server, a, { token: 'unknown-token', token_type_hint: hint });
      assert.equal(r.status, 200);
      let ev = await list();
      for (let i = 0; i < 60 && ev.length === before; i++) {
        await new Promise((res) => setTimeout(res, 50));
        ev = await list();
      }
      assert.equal(ev.length, before + 1, 'its one record');
      assert.equal(ev[0].outcome, 'nothing_to_revoke');
      assert.equal(ev[0].detail.hint, kept ? hint : undefined);
    }
  });

  test('requests the HTTP layer refuses (413 body, 414 URI, 431 head) leave an audit record too', async () => {
    const latest = async () => (await server.admin('GET', '/audit?event=revoke&limit=1')).json.events[0];
    const waitFor = async (outcome) => {
      let e = await latest();
      for (let i = 0; i < 60 && e?.outcome !== outcome; i++) {
        await new Promise((r) => setTimeout(r, 50));
        e = await latest();
      }
      return e;
    };
    const big = await rawRevoke(server, a, 'token=' + 'a'.repeat(100 * 1024));
    assert.equal(big.status, 413);
    let e = await waitFor('request_too_large');
    assert.equal(e?.outcome, 'request_too_large');
    assert.equal(e.client_id, '', 'not authenticated: no client');
    const head = await rawRevoke(server, a, { token: 'x' }, { headers: { 'x-pad': 'p'.repeat(14000) } });
    assert.equal(head.status, 431);
    assert.equal(head.json.error, 'invalid_request');
    e = await waitFor('request_headers_too_large');
    assert.equal(e?.outcome, 'request_headers_too_large');
    assert.equal(e.detail.request_id, head.headers.get('x-request-id'));
    const uri = await fetch(server.url + '/revoke?' + 'p=1&'.repeat(300), { method: 'POST', body: 'token=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(uri.status, 414);
    e = await waitFor('request_uri_too_long');
    assert.equal(e?.outcome, 'request_uri_too_long');
    assert.equal(e.detail.request_id, uri.headers.get('x-request-id'));
  });

  test('the audit outcome of a failed client authentication is the error answered', async () => {
    const latest = async () => (await server.admin('GET', '/audit?event=revoke&limit=1')).json.events[0];
    const waitFor = async (rid) => {
      let e = await latest();
      for (let i = 0; i < 60 && e?.detail?.request_id !== rid; i++) {
        await new Promise((r) => setTimeout(r, 50));
        e = await latest();
      }
      return e;
    };
    // Basic and client_secret at once: 400 invalid_request, recorded as such (not invalid_client)
    const two = await rawRevoke(server, a, { token: 'x', client_secret: a.client_secret });
    assert.equal(two.status, 400);
    assert.equal(two.json.error, 'invalid_request');
    let e = await waitFor(two.headers.get('x-request-id'));
    assert.equal(e?.outcome, 'invalid_request');
    const bad = await server.form('/revoke', { token: 'x' }, { headers: { authorization: basic(a.client_id, 'wrong') } });
    assert.equal(bad.status, 401);
    e = await waitFor(bad.headers.get('x-request-id'));
    assert.equal(e?.outcome, 'invalid_client');
  });

  test('CORS: preflight and POST from a registered origin; other origins get no CORS headers', async () => {
    const origin = 'https://spa.example';
    const spa = await mk({ token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], authorized_origins: [origin] });
    let r = await fetch(server.url + '/revoke', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('access-control-allow-origin'), origin);
    assert.match(r.headers.get('access-control-allow-methods'), /POST/);
    r = await fetch(server.url + '/revoke', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(r.headers.get('access-control-allow-origin'), null);
    const t = await userTokens(as, spa, 'openid');
    const ok = await server.form('/revoke', { token: t.access_token, client_id: spa.client_id }, { headers: { origin } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), origin);
    assert.equal(await active(as, rs, t.access_token), false, 'the cross-origin POST revoked it');
    const t2 = await userTokens(as, spa, 'openid');
    const bad = await server.form('/revoke', { token: t2.access_token, client_id: spa.client_id }, { headers: { origin: 'https://evil.example' } });
    assert.equal(bad.headers.get('access-control-allow-origin'), null);
  });

  test('CORS: an origin in corsAllowedOrigins works for every client, also on an error the HTTP layer answers', async () => {
    const listed = 'https://listed.example';
    const x = await setup({ corsAllowedOrigins: [listed] });
    try {
      const c = await x.mk(); // no authorized_origins of its own
      const xrs = await x.mk({ grant_types: ['client_credentials'], redirect_uris: [] });
      let r = await fetch(x.server.url + '/revoke', { method: 'OPTIONS', headers: { origin: listed, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
      assert.equal(r.status, 204);
      assert.equal(r.headers.get('access-control-allow-origin'), listed);
      const t = await clientCredentials(x.as, c, 'read');
      const ok = await rawRevoke(x.server, c, { token: t.access_token }, { headers: { origin: listed } });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('access-control-allow-origin'), listed);
      assert.equal(await active(x.as, xrs, t.access_token), false);
      const big = await rawRevoke(x.server, c, 'token=' + 'a'.repeat(100 * 1024), { headers: { origin: listed } });
      assert.equal(big.status, 413);
      assert.equal(big.headers.get('access-control-allow-origin'), listed, 'a browser can read the 413');
      const head = await rawRevoke(x.server, c, { token: 'x' }, { headers: { origin: listed, 'x-pad': 'p'.repeat(14000) } });
      assert.equal(head.status, 431);
      assert.equal(head.headers.get('access-control-allow-origin'), listed, 'and the 431');
      const other = await rawRevoke(x.server, c, { token: 'x' }, { headers: { origin: 'https://other.example' } });
      assert.equal(other.headers.get('access-control-allow-origin'), null);
    } finally {
      await x.server.cleanup();
    }
  });

  test('discovery publishes revocation_endpoint and its auth methods', async () => {
    const d = await (await fetch(server.url + '/.well-known/oauth-authorization-server')).json();
    assert.equal(d.revocation_endpoint, server.url + '/revoke');
    assert.deepEqual(d.revocation_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'none']);
    assert.equal(d.mtls_endpoint_aliases, undefined);
  });

  test('REVOKE_TOKEN off → 403 access_denied (401 first when unauthenticated) and discovery drops the endpoint; on again without restart', async () => {
    const t = await clientCredentials(as, a, 'read');
    const flags = ['INTROSPECTION', 'USERINFO', 'DYNAMIC_REGISTRATION', 'STATUS_LIST', 'GLOBAL_TOKEN_REVOCATION'];
    let p = await server.admin('PATCH', '/config', { featureFlags: flags });
    assert.equal(p.status, 200, p.text);
    let r = await rawRevoke(server, a, { token: t.access_token });
    assert.equal(r.status, 403);
    assert.equal(r.json.error, 'access_denied');
    r = await server.form('/revoke', { token: t.access_token }, { headers: { authorization: basic(a.client_id, 'wrong') } });
    assert.equal(r.status, 401);
    for (const w of ['openid-configuration', 'oauth-authorization-server']) {
      const d = await (await fetch(`${server.url}/.well-known/${w}`)).json();
      assert.equal(d.revocation_endpoint, undefined);
      assert.equal(d.revocation_endpoint_auth_methods_supported, undefined);
    }
    assert.equal(await active(as, rs, t.access_token), true);
    p = await server.admin('PATCH', '/config', { featureFlags: [] });
    assert.equal(p.status, 200);
    await revoke(as, a, t.access_token);
    assert.equal(await active(as, rs, t.access_token), false);
    const d = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
    assert.equal(d.revocation_endpoint, server.url + '/revoke');
  });

  test('the store cannot commit → 503 temporarily_unavailable with Retry-After, and nothing is claimed revoked', async () => {
    const t = await clientCredentials(as, a, 'read');
    const pid = String(server.proc.pid);
    // the database becomes unwritable: the running server may not write past the first byte of
    // any file (RLIMIT_FSIZE; SQLite's writes fail with EFBIG), reads still work
    execFileSync('prlimit', ['--pid', pid, '--fsize=1:unlimited']);
    let r;
    try {
      r = await rawRevoke(server, a, { token: t.access_token });
    } finally {
      execFileSync('prlimit', ['--pid', pid, '--fsize=unlimited:unlimited']);
    }
    assert.equal(r.status, 503);
    assert.equal(r.json.error, 'temporarily_unavailable');
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    assert.equal(await active(as, rs, t.access_token), true, 'a 503 means the token still exists');
    // its audit record: stored once the disk takes it, or logged in full when the store could
    // not take it either (the limit may still have been on when it was written) — exactly one
    const stored = async () => (await server.admin('GET', `/audit?event=revoke&client_id=${a.client_id}&limit=50`)).json.events.filter((e) => e.outcome === 'store_unavailable');
    const logged = () => server.stderr.split('\n').filter((l) => l.includes('"audit_unstored"') && l.includes('store_unavailable') && l.includes(a.client_id));
    for (let i = 0; i < 60 && (await stored()).length + logged().length === 0; i++) await new Promise((res) => setTimeout(res, 50));
    assert.equal((await stored()).length + logged().length, 1, 'one record of the 503');
    for (const l of logged()) assert.equal(l.indexOf(t.access_token), -1, 'never the token');
    r = await rawRevoke(server, a, { token: t.access_token });
    assert.equal(r.status, 200, 'writable again: the retry succeeds');
    assert.equal(await active(as, rs, t.access_token), false);
  });
});

describe('revocation with allowAllValueForRevokeEndpoint, allowRevokeForOtherClients, errorReasonEnabled', () => {
  let server, as, mk, a, b, admin, rs;
  before(async () => {
    ({ server, as, mk } = await setup({ allowAllValueForRevokeEndpoint: true, allowRevokeForOtherClients: true, errorReasonEnabled: true, mtlsTokenRevocationEndpoint: 'https://mtls.example/revoke' }));
    a = await mk({ client_name: 'A' });
    b = await mk({ client_name: 'B' });
    admin = await mk({ client_name: 'super', scope: 'read revoke_any_token' });
    rs = await mk({ grant_types: ['client_credentials'], redirect_uris: [] });
  });
  after(async () => server.cleanup());

  test('token_type_hint=all revokes every grant of the client and no other client\'s', async () => {
    const mine = [await userTokens(as, a), await userTokens(as, a), await clientCredentials(as, a, 'read')];
    const theirs = [await userTokens(as, b), await clientCredentials(as, b, 'read')];
    const r = await rawRevoke(server, a, { token: 'ignored', token_type_hint: 'all' });
    assert.equal(r.status, 200);
    for (const t of mine) assert.equal(await active(as, rs, t.access_token), false);
    await refreshFails(as, a, mine[0].refresh_token);
    for (const t of theirs) assert.equal(await active(as, rs, t.access_token), true);
    const ev = (await server.admin('GET', `/audit?event=revoke&client_id=${a.client_id}&limit=1`)).json.events[0];
    assert.equal(ev.outcome, 'revoked_all');
    assert.equal(ev.detail.grants_revoked, 3);
  });

  test('token=all does the same (Janssen\'s code)', async () => {
    const mine = [await userTokens(as, a), await clientCredentials(as, a, 'read')];
    const theirs = await clientCredentials(as, b, 'read');
    const r = await rawRevoke(server, a, { token: 'ALL' });
    assert.equal(r.status, 200);
    for (const t of mine) assert.equal(await active(as, rs, t.access_token), false);
    assert.equal(await active(as, rs, theirs.access_token), true);
  });

  test('a public client cannot revoke all: it proves nothing but its (public) client_id', async () => {
    // found in review: anyone knowing a public client's id could log out all its users
    const pub = await mk({ client_name: 'spa', token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] });
    const t = await userTokens(as, pub);
    for (const params of [{ client_id: pub.client_id, token: 'all' }, { client_id: pub.client_id, token: 'x', token_type_hint: 'all' }]) {
      const r = await server.form('/revoke', params);
      assert.equal(r.status, 400);
      assert.equal(r.json.error, 'unauthorized_client');
      assert.equal(await active(as, rs, t.access_token), true, 'nothing revoked');
    }
    let ev = [];
    for (let i = 0; i < 60 && ev.length < 2; i++) {
      if (i) await new Promise((res) => setTimeout(res, 50));
      ev = (await server.admin('GET', `/audit?event=revoke&client_id=${pub.client_id}`)).json.events;
    }
    assert.deepEqual(ev.map((e) => e.outcome), ['unauthorized_client', 'unauthorized_client']);
    // its own token, presented, it still revokes
    assert.equal((await server.form('/revoke', { client_id: pub.client_id, token: t.refresh_token })).status, 200);
    assert.equal(await active(as, rs, t.access_token), false);
    // and it can never hold revoke_any_token: neither the admin API nor registration gives it
    let r = await server.admin('POST', '/clients', { redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none', scope: 'openid revoke_any_token' });
    assert.equal(r.status, 400);
    assert.equal(r.json.error, 'invalid_client_metadata');
    r = await server.form('/register', JSON.stringify({ redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none', scope: 'revoke_any_token' }), { contentType: 'application/json' });
    assert.equal(r.status, 400);
    assert.equal(r.json.error, 'invalid_client_metadata');
  });

  test('another client\'s token: refused without revoke_any_token (with reason), revoked with it', async () => {
    const t = await userTokens(as, b);
    let r = await rawRevoke(server, a, { token: t.access_token });
    assert.equal(r.status, 400);
    assert.equal(r.json.error, 'invalid_request');
    assert.match(r.json.reason, /revoke_any_token/);
    assert.equal(await active(as, rs, t.access_token), true);
    r = await rawRevoke(server, admin, { token: t.access_token });
    assert.equal(r.status, 200);
    assert.equal(await active(as, rs, t.access_token), false);
    await refreshFails(as, b, t.refresh_token);
  });

  test('discovery carries the mTLS alias of the revocation endpoint', async () => {
    const d = await (await fetch(server.url + '/.well-known/openid-configuration')).json();
    assert.equal(d.mtls_endpoint_aliases.revocation_endpoint, 'https://mtls.example/revoke');
  });

  test('REVOKE_TOKEN off drops the mTLS alias from both discovery documents; on again restores it', async () => {
    let p = await server.admin('PATCH', '/config', { featureFlags: ['INTROSPECTION', 'USERINFO'] });
    assert.equal(p.status, 200, p.text);
    try {
      for (const w of ['openid-configuration', 'oauth-authorization-server']) {
        const d = await (await fetch(`${server.url}/.well-known/${w}`)).json();
        assert.equal(d.revocation_endpoint, undefined, w);
        assert.equal(d.mtls_endpoint_aliases?.revocation_endpoint, undefined, w);
      }
    } finally {
      p = await server.admin('PATCH', '/config', { featureFlags: [] });
      assert.equal(p.status, 200);
    }
    for (const w of ['openid-configuration', 'oauth-authorization-server']) {
      const d = await (await fetch(`${server.url}/.well-known/${w}`)).json();
      assert.equal(d.mtls_endpoint_aliases.revocation_endpoint, 'https://mtls.example/revoke', w);
    }
  });
});

test('a moved tokenRevocationEndpoint is routed and published', async () => {
  const port = await (await import('./lib/server.mjs')).freePort();
  const s = await startServer({ port, config: { tokenRevocationEndpoint: `http://127.0.0.1:${port}/oauth/v2/revoke` } });
  try {
    const d = await (await fetch(s.url + '/.well-known/openid-configuration')).json();
    assert.equal(d.revocation_endpoint, `${s.url}/oauth/v2/revoke`);
    const c = await s.createClient({ grant_types: ['client_credentials'] });
    const r = await s.form('/oauth/v2/revoke', { token: 'x' }, { headers: { authorization: basic(c.client_id, c.client_secret) } });
    assert.equal(r.status, 200);
    assert.equal((await s.form('/revoke', { token: 'x' })).status, 404);
  } finally {
    await s.cleanup();
  }
});

test('durability: every acknowledged revocation survives SIGKILL right after the 200s', async () => {
  const s = await startServer();
  try {
    const as = await discover(s);
    const c = await s.createClient({ grant_types: ['client_credentials'] });
    const rs = await s.createClient({ grant_types: ['client_credentials'] });
    const toks = [];
    for (let i = 0; i < 100; i++) toks.push((await clientCredentials(as, c)).access_token);
    const res = await Promise.all(toks.map((tok) => s.form('/revoke', { token: tok }, { headers: { authorization: basic(c.client_id, c.client_secret) } })));
    assert.ok(res.every((r) => r.status === 200));
    await s.kill(); // SIGKILL: no shutdown path runs
    await s.start();
    const as2 = await discover(s);
    const states = await Promise.all(toks.map((tok) => introspect(as2, rs, tok)));
    assert.ok(states.every((st) => st.active === false));
  } finally {
    await s.cleanup();
  }
});
