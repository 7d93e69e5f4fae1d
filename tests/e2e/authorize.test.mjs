// The authorization endpoint without a browser: the login form is driven with fetch (GET the
// page, read the CSRF cookie and hidden fields, POST it back with redirect: 'manual'), and the
// rest of the code flow goes through oauth4webapi. Covers the code, PKCE, refresh rotation and
// reuse detection, the ID token signature, sessions, and the errors that must (and must not)
// go back to the redirect URI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import net from 'node:net';
import { startServer } from './lib/server.mjs';
import { oauth, discover, insecure, clientOf, authOf, introspect, refresh, userinfo } from './lib/oauth.mjs';

// Never contacted: every request that would lead there is made with redirect: 'manual'.
const REDIRECT = 'http://127.0.0.1:9/cb';
const REDIRECT2 = 'http://127.0.0.1:9/other';
const USER = 'alice';
const PASSWORD = 'correct horse battery';

let server, as, conf, pub, noauthz;

before(async () => {
  server = await startServer();
  as = await discover(server);
  conf = await server.createClient({
    redirect_uris: [REDIRECT, REDIRECT2],
    grant_types: ['authorization_code', 'refresh_token'],
    client_name: 'Confidential <App> & "Co"',
    scope: 'openid profile email offline_access',
  });
  pub = await server.createClient({
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'none',
    client_name: 'Public SPA',
  });
  noauthz = await server.createClient({ redirect_uris: [REDIRECT], grant_types: ['client_credentials'] });
  await server.createUser(USER, PASSWORD, { email: 'alice@example.com', name: 'Alice' });
});
after(async () => {
  await server.cleanup();
});

// ---- helpers ----------------------------------------------------------------------------

function setCookies(res) {
  const out = {};
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq)] = { value: pair.slice(eq + 1), attrs: attrs.map((a) => a.toLowerCase()) };
  }
  return out;
}

const unescapeHtml = (s) =>
  s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

function hiddenFields(html) {
  const fields = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    fields[unescapeHtml(m[1])] = unescapeHtml(m[2]);
  }
  return fields;
}

// Builds an authorization request the way a client would; opts.params override or add
// parameters (null removes one).
async function request(client, opts = {}) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint);
  const p = {
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: REDIRECT,
    scope: 'openid profile',
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...opts.params,
  };
  for (const [k, v] of Object.entries(p)) if (v !== null) url.searchParams.set(k, v);
  return { url, verifier, state, nonce, redirectUri: p.redirect_uri };
}

// A GET sent over a plain socket (extra header lines as given): { status, body }, status
// 'no answer' when the server closes the connection without one.
function rawRequest(url, lines) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname);
    let data = '';
    sock.setEncoding('latin1');
    sock.on('connect', () => sock.write(
      `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n${lines.map((l) => l + '\r\n').join('')}` +
      'Connection: close\r\n\r\n'));
    sock.on('data', (d) => { data += d; });
    sock.on('error', reject);
    sock.on('close', () => resolve(data.startsWith('HTTP/1.1 ')
      ? { status: data.slice(9, 12), body: data.slice(data.indexOf('\r\n\r\n') + 4) }
      : { status: 'no answer', body: '' }));
  });
}

async function getPage(url, cookie) {
  const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  return { res, html: await res.text(), cookies: setCookies(res) };
}

async function postLogin(page, username, password, { csrfCookie = true, fields = {} } = {}) {
  const form = new URLSearchParams({ ...hiddenFields(page.html), username, password, ...fields });
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (csrfCookie) headers.cookie = `rescind_csrf=${page.cookies.rescind_csrf.value}`;
  const res = await fetch(as.authorization_endpoint, { method: 'POST', headers, body: form, redirect: 'manual' });
  return { res, html: await res.text(), cookies: setCookies(res) };
}

// Login through the form; returns the callback URL and the session cookie.
async function login(client, opts = {}) {
  const req = await request(client, opts);
  const page = await getPage(req.url);
  assert.equal(page.res.status, 200, page.html);
  const done = await postLogin(page, opts.username || USER, opts.password || PASSWORD);
  assert.equal(done.res.status, 302, done.html);
  const callback = new URL(done.res.headers.get('location'));
  return { ...req, callback, session: done.cookies.rescind_session, page, done };
}

async function redeem(client, auth, { verifier = auth.verifier, redirectUri = auth.redirectUri } = {}) {
  const params = oauth.validateAuthResponse(as, clientOf(client), auth.callback, auth.state);
  const res = await oauth.authorizationCodeGrantRequest(as, clientOf(client), authOf(client), params, redirectUri, verifier, insecure);
  return oauth.processAuthorizationCodeResponse(as, clientOf(client), res, { expectedNonce: auth.nonce });
}

const isOAuthError = (code) => (e) => {
  assert.equal(e.error, code, e.message);
  return true;
};

// Error redirect parameters of a GET that must not show the login page.
async function errorRedirect(url, cookie) {
  const r = await getPage(url, cookie);
  assert.equal(r.res.status, 302, r.html);
  const loc = new URL(r.res.headers.get('location'));
  assert.equal(loc.origin + loc.pathname, REDIRECT);
  assert.equal(loc.searchParams.get('iss'), server.url, 'RFC 9207 iss');
  assert.equal(loc.searchParams.get('code'), null);
  return loc.searchParams;
}

// formTarget: the origin a login form may be redirected to (browsers check form-action on
// every redirect after a form submission); error pages have no form and allow only 'self'.
function assertHtmlPage(res, status, formTarget = null) {
  assert.equal(res.status, status);
  assert.equal(res.headers.get('location'), null, 'no redirect');
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  const formAction = formTarget ? `'self' ${formTarget}` : "'self'";
  assert.equal(res.headers.get('content-security-policy'),
    `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'`);
}

async function verifyIdToken(jwt, client, nonce) {
  const [h, p, s] = jwt.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  assert.equal(header.alg, 'RS256');
  const { keys } = await (await fetch(as.jwks_uri)).json();
  const jwk = keys.find((k) => k.kid === header.kid) || keys[0];
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  assert.ok(verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url')), 'RS256 signature');
  const tampered = Buffer.from(JSON.stringify({ ...claims, sub: 'mallory' })).toString('base64url');
  assert.ok(!verify('sha256', Buffer.from(`${h}.${tampered}`), key, Buffer.from(s, 'base64url')));
  assert.equal(claims.iss, server.url);
  assert.ok(claims.aud === client.client_id || (Array.isArray(claims.aud) && claims.aud.includes(client.client_id)));
  assert.equal(claims.nonce, nonce);
  assert.ok(claims.exp > Date.now() / 1000);
  return claims;
}

// ---- the flow ---------------------------------------------------------------------------

test('login page: escaped client name, hidden request, CSRF cookie, security headers', async () => {
  const req = await request(conf, { params: { state: 'a"b<c>&d' } });
  const page = await getPage(req.url);
  assertHtmlPage(page.res, 200, 'http://127.0.0.1:9');
  assert.match(page.html, /<h1>Sign in to Confidential &lt;App&gt; &amp; &quot;Co&quot;<\/h1>/);
  assert.ok(!page.html.includes('<App>'), 'client_name is escaped');
  assert.match(page.html, /<form method="post" action="\/authorize">/);
  assert.match(page.html, /name="username"/);
  assert.match(page.html, /type="password"/);
  const f = hiddenFields(page.html);
  assert.equal(f.state, 'a"b<c>&d');
  assert.equal(f.client_id, conf.client_id);
  assert.equal(f.code_challenge_method, 'S256');
  const csrf = page.cookies.rescind_csrf;
  assert.ok(csrf, 'csrf cookie set');
  assert.match(csrf.value, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(f.csrf_token, csrf.value, 'double-submit: field equals cookie');
  assert.ok(csrf.attrs.includes('httponly'));
  assert.ok(csrf.attrs.includes('samesite=lax'));
  assert.ok(csrf.attrs.includes('path=/authorize'));
});

test('confidential client: code flow, ID token signature, userinfo, refresh rotation', async () => {
  const auth = await login(conf, { params: { scope: 'openid profile email offline_access' } });
  assert.equal(auth.callback.origin + auth.callback.pathname, REDIRECT);
  assert.equal(auth.callback.searchParams.get('iss'), server.url);
  assert.equal(auth.callback.searchParams.get('state'), auth.state);
  assert.equal(auth.done.res.headers.get('cache-control'), 'no-store');
  const t = await redeem(conf, auth);
  assert.equal(t.token_type.toLowerCase(), 'bearer');
  assert.ok(t.access_token && t.refresh_token && t.id_token);
  assert.equal(t.scope, 'openid profile email offline_access');
  const claims = await verifyIdToken(t.id_token, conf, auth.nonce);
  assert.deepEqual(oauth.getValidatedIdTokenClaims(t).sub, claims.sub);

  const ui = await oauth.processUserInfoResponse(as, clientOf(conf), claims.sub, await userinfo(as, conf, t.access_token));
  assert.equal(ui.sub, claims.sub);
  assert.equal(ui.preferred_username, USER);

  const t2 = await refresh(as, conf, t.refresh_token);
  assert.ok(t2.access_token && t2.refresh_token);
  assert.notEqual(t2.refresh_token, t.refresh_token, 'refresh token rotates');
  assert.equal((await introspect(as, conf, t2.access_token)).active, true);

  // OAuth 2.0 Security BCP: replaying the rotated refresh token revokes the whole grant
  await assert.rejects(refresh(as, conf, t.refresh_token), isOAuthError('invalid_grant'));
  assert.equal((await introspect(as, conf, t2.access_token)).active, false);
  assert.equal((await introspect(as, conf, t.access_token)).active, false);
  await assert.rejects(refresh(as, conf, t2.refresh_token), isOAuthError('invalid_grant'));
});

test('session cookie: HttpOnly, SameSite=Lax, Path=/; a second authorization skips the login page', async () => {
  const auth = await login(conf);
  const s = auth.session;
  assert.ok(s, 'session cookie set on login');
  assert.match(s.value, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(s.attrs.includes('httponly'));
  assert.ok(s.attrs.includes('samesite=lax'));
  assert.ok(s.attrs.includes('path=/'));
  assert.ok(!s.attrs.includes('secure'), 'http issuer: no Secure flag');

  const again = await request(conf);
  const r = await getPage(again.url, `rescind_session=${s.value}`);
  assert.equal(r.res.status, 302, 'no login page with a live session');
  const t = await redeem(conf, { ...again, callback: new URL(r.res.headers.get('location')) });
  assert.ok(t.access_token && t.id_token);

  // HEAD is safe (RFC 9110 §9.2.1): even with a live session it issues no code, it is refused
  const issued = () => server.stderr.split('\n').filter((l) => l.includes('"event":"code_issued"')).length;
  const n = issued();
  const head = await fetch((await request(conf)).url, { method: 'HEAD', headers: { cookie: `rescind_session=${s.value}` }, redirect: 'manual' });
  assert.equal(head.status, 405);
  assert.equal(head.headers.get('allow'), 'GET, POST');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(issued(), n, 'no code issued by a HEAD');

  // prompt=login forces the page even with the session; a forged cookie is no session
  const forced = await request(conf, { params: { prompt: 'login' } });
  assert.equal((await getPage(forced.url, `rescind_session=${s.value}`)).res.status, 200);
  // max_age=0 too, even within the second of the sign-in; a generous max_age keeps the session
  const zero = await request(conf, { params: { max_age: '0' } });
  assert.equal((await getPage(zero.url, `rescind_session=${s.value}`)).res.status, 200);
  const hour = await request(conf, { params: { max_age: '3600' } });
  assert.equal((await getPage(hour.url, `rescind_session=${s.value}`)).res.status, 302);
  const forged = await request(conf);
  assert.equal((await getPage(forged.url, 'rescind_session=' + 'A'.repeat(43))).res.status, 200);
});

test('a self-registered client never gets a code from a session alone: sign-in names where it sends the user; prompt=none is consent_required', async () => {
  // found in review: with open registration, anyone could register their own redirect URI and
  // collect codes of every signed-in user through one navigation
  const { session } = await login(conf);
  const r = await fetch(`${server.url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ redirect_uris: [REDIRECT], client_name: 'Demo client', scope: 'openid profile' }),
  });
  assert.equal(r.status, 201);
  const self = await r.json();
  const cookie = `rescind_session=${session.value}`;
  // the admin-created client keeps single sign-on
  assert.equal((await getPage((await request(conf)).url, cookie)).res.status, 302);
  // the self-registered one gets the sign-in page, with the warning and its redirect's origin
  const page = await getPage((await request(self)).url, cookie);
  assertHtmlPage(page.res, 200, 'http://127.0.0.1:9');
  assert.match(page.html, /registered itself with this server/);
  assert.match(page.html, /sends you to <b>http:\/\/127\.0\.0\.1:9<\/b>/);
  assert.doesNotMatch((await getPage((await request(conf)).url)).html, /registered itself/, 'no warning for admin-created clients');
  // prompt=none cannot skip the consent, and does not tell whether the user is signed in
  for (const c of [cookie, undefined]) {
    const p = await errorRedirect((await request(self, { params: { prompt: 'none' } })).url, c);
    assert.equal(p.get('error'), 'consent_required');
  }
  // signing in on that page is the consent: a code, redeemable
  const auth = await login(self);
  assert.ok(auth.callback.searchParams.get('code'));
  const t = await redeem(self, auth);
  assert.ok(t.access_token && t.id_token);
});

test('public client (auth method none): code flow with PKCE, and introspection of its own tokens only', async () => {
  const auth = await login(pub, { params: { scope: 'openid' } });
  const t = await redeem(pub, auth);
  assert.ok(t.access_token && t.id_token);
  assert.equal(t.refresh_token, undefined, 'no refresh_token grant registered');
  await verifyIdToken(t.id_token, pub, auth.nonce);
  // it introspects its own token (through oauth4webapi, auth method none), and learns nothing
  // of another client's: its client_id is public
  const own = await introspect(as, pub, t.access_token);
  assert.equal(own.active, true);
  assert.equal(own.client_id, pub.client_id);
  const other = await redeem(conf, await login(conf));
  assert.deepEqual(await introspect(as, pub, other.access_token), { active: false });
  assert.equal((await introspect(as, conf, other.access_token)).active, true, 'a confidential client sees it');
});

// ---- PKCE ------------------------------------------------------------------------------

test('PKCE: wrong code_verifier and a missing one are invalid_grant', async () => {
  const a1 = await login(conf);
  await assert.rejects(redeem(conf, a1, { verifier: oauth.generateRandomCodeVerifier() }), isOAuthError('invalid_grant'));
  const a2 = await login(pub, { params: { scope: 'openid' } });
  await assert.rejects(redeem(pub, a2, { verifier: oauth.nopkce }), isOAuthError('invalid_grant'));
});

test('PKCE: public client without code_challenge, and method plain, are invalid_request', async () => {
  const none = await request(pub, { params: { code_challenge: null, code_challenge_method: null } });
  const p1 = await errorRedirect(none.url);
  assert.equal(p1.get('error'), 'invalid_request');
  assert.equal(p1.get('state'), none.state);
  const plain = await request(conf, { params: { code_challenge_method: 'plain' } });
  assert.equal((await errorRedirect(plain.url)).get('error'), 'invalid_request');
  const short = await request(conf, { params: { code_challenge: 'abc' } });
  assert.equal((await errorRedirect(short.url)).get('error'), 'invalid_request');
});

// ---- codes -----------------------------------------------------------------------------

test('code reuse: invalid_grant, and the tokens of the first redemption are revoked', async () => {
  const auth = await login(conf, { params: { scope: 'openid offline_access' } });
  const t = await redeem(conf, auth);
  assert.equal((await introspect(as, conf, t.access_token)).active, true);
  await assert.rejects(redeem(conf, auth), isOAuthError('invalid_grant'));
  assert.equal((await introspect(as, conf, t.access_token)).active, false);
  await assert.rejects(refresh(as, conf, t.refresh_token), isOAuthError('invalid_grant'));
  // the store's warning names the request that replayed the code (logged in the writer thread).
  // Log lines reach stderr through the log thread, possibly after the answer: wait for them.
  let lines, last, req;
  for (let i = 0; i < 100 && !req; i++) {
    if (i) await new Promise((r) => setTimeout(r, 20));
    lines = server.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const reuse = lines.filter((o) => o.event === 'token_reuse_detected');
    last = reuse[reuse.length - 1];
    req = last && lines.find((o) => o.event === 'request' && o.request_id === last.request_id);
  }
  assert.ok(last, 'token_reuse_detected is logged');
  assert.match(last.request_id, /^[0-9a-f]{16}$/);
  assert.ok(req, 'a request line with the same id');
  assert.equal(req.path, '/token');
  assert.equal(req.status, '400');
  // and the code's issuance line names its /authorize request
  for (const o of lines.filter((x) => x.event === 'code_issued')) {
    const r = lines.find((x) => x.event === 'request' && x.request_id === o.request_id);
    assert.ok(r && r.path === '/authorize', JSON.stringify(o));
  }
});

test('token request with another (registered) redirect_uri is invalid_grant', async () => {
  const auth = await login(conf);
  await assert.rejects(redeem(conf, auth, { redirectUri: REDIRECT2 }), isOAuthError('invalid_grant'));
});

test('a code is bound to its client, which learns no more about it than about an unknown code', async () => {
  const auth = await login(pub, { params: { scope: 'openid' } });
  const params = oauth.validateAuthResponse(as, clientOf(pub), auth.callback, auth.state);
  const res = await oauth.authorizationCodeGrantRequest(as, clientOf(conf), authOf(conf), params, REDIRECT, auth.verifier, insecure);
  await assert.rejects(oauth.processAuthorizationCodeResponse(as, clientOf(conf), res), isOAuthError('invalid_grant'));
  const form = (code) => server.form('/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: auth.verifier },
    { headers: { authorization: `Basic ${Buffer.from(`${conf.client_id}:${conf.client_secret}`).toString('base64')}` } });
  const other = await form(auth.callback.searchParams.get('code'));
  const unknown = await form('A'.repeat(64));
  assert.equal(other.status, 400);
  assert.deepEqual(other.json, unknown.json, 'the same answer as for a code that does not exist');
  // and the code is not spent by the wrong client's attempts: its own client redeems it
  const t = await redeem(pub, auth);
  assert.ok(t.access_token);
  // once used, the wrong client's replay still learns nothing and revokes nothing (only its own
  // client's replay is reuse)
  const replay = await form(auth.callback.searchParams.get('code'));
  assert.deepEqual(replay.json, unknown.json);
  assert.equal((await introspect(as, conf, t.access_token)).active, true);
});

// ---- requests that must not be redirected ----------------------------------------------

test('unknown client_id: 400 HTML page, no redirect, value escaped', async () => {
  const req = await request({ client_id: '<b>nobody</b>' });
  const r = await getPage(req.url);
  assertHtmlPage(r.res, 400);
  assert.ok(r.html.includes('&lt;b&gt;nobody&lt;/b&gt;'));
  assert.ok(!r.html.includes('<b>nobody'));
  assert.deepEqual(r.cookies, {});
});

test('unregistered redirect_uri (also a prefix or extension of a registered one): 400 page', async () => {
  for (const uri of ['http://127.0.0.1:9/evil', REDIRECT + '/x', REDIRECT + '?a=1', 'http://127.0.0.1:9/']) {
    const req = await request(conf, { params: { redirect_uri: uri } });
    assertHtmlPage((await getPage(req.url)).res, 400);
  }
  // omitted while the client has two registered: the server cannot pick one
  const none = await request(conf, { params: { redirect_uri: null } });
  assertHtmlPage((await getPage(none.url)).res, 400);
  // repeated redirect_uri cannot be trusted either
  const dup = await request(conf);
  dup.url.search += '&redirect_uri=' + encodeURIComponent(REDIRECT2);
  assertHtmlPage((await getPage(dup.url)).res, 400);
});

// ---- errors sent back to the client ----------------------------------------------------

test('bad scope: redirect with invalid_scope, state echoed', async () => {
  const req = await request(conf, { params: { scope: 'openid admin' } });
  const p = await errorRedirect(req.url);
  assert.equal(p.get('error'), 'invalid_scope');
  assert.equal(p.get('state'), req.state);
  assert.ok(p.get('error_description'));
});

test('other request errors are redirected with their RFC 6749 §4.1.2.1 code', async () => {
  const cases = [
    [{ response_type: 'token' }, conf, 'unsupported_response_type'],
    [{ response_type: null }, conf, 'invalid_request'],
    [{}, noauthz, 'unauthorized_client'],
    [{ prompt: 'none login' }, conf, 'invalid_request'],
    [{ request: 'eyJhbGciOiJub25lIn0.e30.' }, conf, 'request_not_supported'],
  ];
  for (const [params, client, code] of cases) {
    const req = await request(client, { params });
    assert.equal((await errorRedirect(req.url)).get('error'), code, JSON.stringify(params));
  }
  const dup = await request(conf);
  dup.url.search += '&scope=email';
  assert.equal((await errorRedirect(dup.url)).get('error'), 'invalid_request', 'repeated parameter');
});

test('state of 2048 characters with a 1 KB cookie is echoed; a longer one is a 400 page', async () => {
  // request and response headers share libmicrohttpd's per-connection memory (src/http/daemon.c)
  const ok = await request(conf, { params: { response_type: 'token', state: 's'.repeat(2048) } });
  const r = await getPage(ok.url, 'other=' + 'c'.repeat(1000));
  assert.equal(r.res.status, 302, r.html);
  const loc = new URL(r.res.headers.get('location'));
  assert.equal(loc.searchParams.get('state'), 's'.repeat(2048));
  assert.equal(loc.searchParams.get('error'), 'unsupported_response_type');
  const long = await request(conf, { params: { response_type: 'token', state: 's'.repeat(3000) } });
  const p = await getPage(long.url, 'other=' + 'c'.repeat(1000));
  assertHtmlPage(p.res, 400);
  assert.ok(p.html.includes('longer than 2048'));
});

test('a redirect too large for what the request leaves of the connection memory: 431, never a dropped connection', async () => {
  // a state of 2048 characters sent as 4 KB ('~' as %7E, ' ' as +); the redirect echoing it
  // carries a Location of about 4.3 KB
  const state = '~ '.repeat(1024);
  const req = await request(conf, { params: { response_type: 'token', state } });
  const answers = [];
  for (const pad of [0, 2000, 4000, 6000, 8000, 10000]) {
    const res = await fetch(req.url, { redirect: 'manual', headers: { 'x-pad': 'a'.repeat(pad || 1) } });
    const body = await res.text();
    answers.push(res.status);
    if (res.status === 302) {
      const loc = new URL(res.headers.get('location'));
      assert.equal(loc.searchParams.get('state'), state, 'state echoed exactly');
    } else {
      assert.equal(res.status, 431, `pad ${pad}`);
      assert.equal(JSON.parse(body).error, 'invalid_request');
    }
  }
  assert.equal(answers[0], 302, 'a plain request gets its redirect');
  assert.equal(answers.at(-1), 431, 'a large request gets 431');
  // a redirect swapped for the 431 after the handler ran is named in the log with its status
  // (the line reaches this process's pipe a moment after the answer: wait for it)
  const swapped = /"event":"response_head_too_large"[^\n]*"path":"\/authorize","status":"302"/;
  for (let i = 0; i < 100 && !swapped.test(server.stderr); i++) await new Promise((r) => setTimeout(r, 20));
  assert.match(server.stderr, swapped);

  // Heads whose fields' text undercounts what libmicrohttpd keeps, each swept up to a head of
  // about 14.5 KB (below the sizes where libmicrohttpd itself cannot answer). Every answer is the
  // redirect or rescind's JSON 431; without the count of each shape, some got no answer at all.
  // Sent over a raw socket: fetch trims spaces around header values.
  // (A Cookie header counts twice: libmicrohttpd parses a copy of it, and beyond about 5 KB here
  // that copy no longer fits, which libmicrohttpd answers itself, or not at all.)
  const sweeps = {
    'spaces before a header value': [10000, (n) => [`X-W: ${' '.repeat(n)}v`]],
    'spaces between cookies': [4000, (n) => [`Cookie: a=1;${' '.repeat(n)}b=2`]],
    'many short headers': [6000, (n) => Array.from({ length: Math.floor(n / 50) }, (_, i) => `X-H${i}: v`)],
  };
  for (const [shape, [max, lines]] of Object.entries(sweeps)) {
    for (let n = 0; n <= max; n += 250) {
      const r = await rawRequest(req.url, lines(n));
      assert.ok(r.status === '302' || (r.status === '431' && r.body.includes('"error":"invalid_request"')),
        `${shape}, ${n}: ${r.status} ${r.body.slice(0, 80)}`);
    }
  }
  // many query arguments (a record each in libmicrohttpd's memory), state first so it is kept
  const u = new URL(req.url);
  const rest = new URLSearchParams(u.search);
  rest.delete('state');
  u.search = `?state=${encodeURIComponent(state)}&${rest}`;
  // (over 64 arguments in all: 414, before libmicrohttpd would run out of records)
  const own = 1 + [...rest.keys()].length;
  for (let n = 0; n <= 120; n += 10) {
    const extra = Array.from({ length: n }, (_, i) => `x${i}=1`).join('&');
    const r = await rawRequest(`${u}${extra ? '&' + extra : ''}`, []);
    if (own + n > 64) {
      assert.ok(r.status === '414' && r.body.includes('"error":"invalid_request"'), `${n} arguments: ${r.status}`);
    } else {
      assert.ok(r.status === '302' || (r.status === '431' && r.body.includes('"error":"invalid_request"')),
        `${n} arguments: ${r.status} ${r.body.slice(0, 80)}`);
    }
  }
  const health = await fetch(new URL('/health', as.issuer));
  assert.equal(health.status, 200, 'server still serves');
});

test('prompt=none without a session: login_required', async () => {
  const req = await request(conf, { params: { prompt: 'none' } });
  const p = await errorRedirect(req.url);
  assert.equal(p.get('error'), 'login_required');
  assert.equal(p.get('state'), req.state);
});

// ---- the form --------------------------------------------------------------------------

test('wrong password or unknown user: login page again with the message, no session', async () => {
  for (const [u, pw] of [[USER, 'wrong password'], ['nobody', PASSWORD]]) {
    const req = await request(conf);
    const page = await getPage(req.url);
    const r = await postLogin(page, u, pw);
    assertHtmlPage(r.res, 200, 'http://127.0.0.1:9');
    assert.ok(r.html.includes('Wrong username or password'));
    assert.equal(r.cookies.rescind_session, undefined, 'no session');
    assert.ok(r.cookies.rescind_csrf, 'a fresh form');
    assert.equal(hiddenFields(r.html).state, req.state, 'the request is carried on');
    // the form still works afterwards
    const ok = await postLogin(r, USER, PASSWORD);
    assert.equal(ok.res.status, 302);
    assert.ok(new URL(ok.res.headers.get('location')).searchParams.get('code'));
  }
});

test('password guessing is held back: after 5 wrong passwords for a user, 429 with Retry-After, even for the right one', async () => {
  // found in review: any number of guesses, each costing the server an argon2 hash
  await server.createUser('mallet-target', 'the right password here');
  let page = await getPage((await request(conf)).url);
  for (let i = 0; i < 5; i++) {
    page = await postLogin(page, 'mallet-target', `guess ${i}`);
    assertHtmlPage(page.res, 200, 'http://127.0.0.1:9');
    assert.ok(page.html.includes('Wrong username or password'), `guess ${i}`);
  }
  const held = await postLogin(page, 'mallet-target', 'the right password here');
  assert.equal(held.res.status, 429);
  const wait = Number(held.res.headers.get('retry-after'));
  assert.ok(wait > 0 && wait <= 15, `Retry-After ${wait}`);
  assert.match(held.html, /Too many failed sign-ins\. Try again in \d+ seconds\./);
  assert.equal(held.cookies.rescind_session, undefined, 'no session');
  for (let i = 0; i < 100 && !server.stderr.includes('"event":"login_throttled"'); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(server.stderr.includes('"event":"login_throttled"'));
  // another user signing in from the same address is not held back
  const other = await postLogin(held, USER, PASSWORD);
  assert.equal(other.res.status, 302);

  // a burst in parallel gets no more guesses than one after the other (attempts count while
  // their password is being checked)
  await server.createUser('burst-target', 'the right password here');
  const pages = await Promise.all(Array.from({ length: 12 }, async () => getPage((await request(conf)).url)));
  const answers = await Promise.all(pages.map((p, i) => postLogin(p, 'burst-target', `guess ${i}`)));
  const wrong = answers.filter((r) => r.res.status === 200).length;
  assert.equal(wrong, 5, `hashed guesses: ${wrong}`);
  assert.ok(answers.every((r) => r.res.status === 200 || r.res.status === 429));
});

test('CSRF: missing cookie, missing field or a mismatch is 403', async () => {
  const req = await request(conf);
  const page = await getPage(req.url);
  const noCookie = await postLogin(page, USER, PASSWORD, { csrfCookie: false });
  assertHtmlPage(noCookie.res, 403);
  assert.equal(noCookie.cookies.rescind_session, undefined);
  const mismatch = await postLogin(page, USER, PASSWORD, { fields: { csrf_token: oauth.generateRandomState() } });
  assertHtmlPage(mismatch.res, 403);
  const noField = await postLogin(page, USER, PASSWORD, { fields: { csrf_token: '' } });
  assertHtmlPage(noField.res, 403);
});

test('POST re-validates the carried request: tampered fields are refused', async () => {
  const req = await request(conf);
  const page = await getPage(req.url);
  const evil = await postLogin(page, USER, PASSWORD, { fields: { redirect_uri: 'http://127.0.0.1:9/evil' } });
  assertHtmlPage(evil.res, 400);
  assert.equal(evil.cookies.rescind_session, undefined);
  const scope = await postLogin(page, USER, PASSWORD, { fields: { scope: 'openid admin' } });
  assert.equal(scope.res.status, 302);
  assert.equal(new URL(scope.res.headers.get('location')).searchParams.get('error'), 'invalid_scope');
});

test('other methods are 405', async () => {
  const r = await fetch(as.authorization_endpoint, { method: 'PUT' });
  assert.equal(r.status, 405);
});

test('no secret of the code flow in plain text in the database files or the logs', async () => {
  const { readFileSync, readdirSync } = await import('node:fs');
  const { join } = await import('node:path');
  const auth = await login(conf, { params: { scope: 'openid offline_access' } });
  const code = auth.callback.searchParams.get('code');
  const csrf = auth.page.cookies.rescind_csrf.value;
  const csrfField = hiddenFields(auth.page.html).csrf_token;
  const t = await redeem(conf, auth);
  const t2 = await refresh(as, conf, t.refresh_token); // a rotated refresh token too
  const secrets = {
    password: PASSWORD, session: auth.session.value, csrf_cookie: csrf, csrf_field: csrfField, code,
    access_token: t.access_token, refresh_token: t.refresh_token, id_token: t.id_token,
    rotated_refresh_token: t2.refresh_token, client_secret: conf.client_secret,
  };
  for (const [name, v] of Object.entries(secrets)) assert.ok(v && v.length >= 16, name);
  await new Promise((r) => setTimeout(r, 100)); // the log thread writes within about 1 ms
  const files = readdirSync(server.dir).filter((f) => f.startsWith('rescind.db'));
  assert.ok(files.length >= 2, 'the database and its WAL');
  const blobs = files.map((f) => [f, readFileSync(join(server.dir, f))]);
  for (const [name, v] of Object.entries(secrets)) {
    for (const [f, b] of blobs) assert.equal(b.indexOf(Buffer.from(v)), -1, `${name} found in ${f}`);
    assert.equal(server.stderr.indexOf(v), -1, `${name} found in the logs`);
  }
});
