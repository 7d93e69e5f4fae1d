// Defects found in review, each kept fixed by a test: an acknowledged token that was never
// stored, privilege through open registration, audit listing broken by hostile bytes, user
// info in loopback redirect URIs, refresh narrowing the grant, CORS on admin, file modes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, basic } from './lib/server.mjs';
import { discover, refresh, introspect } from './lib/oauth.mjs';
import { codeFlow } from './lib/flow.mjs';

let server, as;
before(async () => {
  server = await startServer({ config: { allowRevokeForOtherClients: true } });
  as = await discover(server);
});
after(async () => server.cleanup());

const register = (meta) => fetch(`${server.url}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(meta) });

test('a 200 from the token endpoint always means the token is stored (concurrent requests, store failing)', async () => {
  const c = await server.createClient({ grant_types: ['client_credentials'] });
  const rs = await server.createClient({ grant_types: ['client_credentials'] });
  const pid = String(server.proc.pid);
  execFileSync('prlimit', ['--pid', pid, '--fsize=1:unlimited']);
  let answers;
  try {
    answers = await Promise.all(
      Array.from({ length: 200 }, () => server.form('/token', { grant_type: 'client_credentials' }, { headers: { authorization: basic(c.client_id, c.client_secret) } })),
    );
  } finally {
    execFileSync('prlimit', ['--pid', pid, '--fsize=unlimited:unlimited']);
  }
  for (const r of answers) {
    if (r.status === 200) {
      // whatever was answered 200 must be a real, stored token
      assert.equal((await introspect(as, rs, r.json.access_token)).active, true, 'a 200 token must exist');
    } else {
      assert.equal(r.status, 503);
      assert.equal(r.json.error, 'temporarily_unavailable');
    }
  }
  assert.ok(answers.filter((r) => r.status === 503).length > 0, 'the store really was failing');
});

test('open registration cannot grant itself privileged scopes', async () => {
  for (const scope of ['revoke_any_token', 'read revoke_any_token', 'global_token_revocation', 'revoke_session']) {
    const r = await register({ grant_types: ['client_credentials'], scope });
    assert.equal(r.status, 400, scope);
    assert.equal((await r.json()).error, 'invalid_client_metadata');
  }
  // the admin API still can
  const c = await server.createClient({ grant_types: ['client_credentials'], scope: 'revoke_any_token' });
  assert.equal(c.scope, 'revoke_any_token');
});

test('loopback redirect URIs: user info or a non-numeric port is refused', async () => {
  for (const u of ['http://localhost:1@evil.example/cb', 'http://127.0.0.1@evil.example/', 'http://localhost:abc/cb', 'https://good@evil.example/cb', 'http://localhost.evil.example/cb']) {
    const r = await register({ redirect_uris: [u] });
    assert.equal(r.status, 400, u);
    assert.equal((await r.json()).error, 'invalid_redirect_uri', u);
  }
  for (const u of ['http://localhost:8080/cb', 'http://127.0.0.1/cb', 'http://[::1]:9/cb?x=1', 'https://app.example/cb']) {
    assert.equal((await register({ redirect_uris: [u] })).status, 201, u);
  }
});

test('a refresh that narrows the scope keeps the grant scope on the new refresh token (RFC 6749 §6)', async () => {
  await server.createUser('carol', 'a long password 123');
  const c = await server.createClient({ redirect_uris: ['http://127.0.0.1:9/cb'], grant_types: ['authorization_code', 'refresh_token'], scope: 'openid profile offline_access' });
  const t = await codeFlow(as, c, { username: 'carol', password: 'a long password 123', scope: 'openid profile offline_access', redirectUri: 'http://127.0.0.1:9/cb' });
  const params = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: t.refresh_token, scope: 'openid' });
  const r = await server.form('/token', params.toString(), { headers: { authorization: basic(c.client_id, c.client_secret) } });
  assert.equal(r.status, 200);
  assert.equal(r.json.scope, 'openid');
  const rs = await server.createClient({ grant_types: ['client_credentials'] });
  assert.equal((await introspect(as, rs, r.json.refresh_token)).scope, 'openid profile offline_access');
  const again = await refresh(as, c, r.json.refresh_token);
  assert.equal(again.scope, 'openid profile offline_access');
});

test('hostile bytes in a failed login never break the audit listing', async () => {
  await server.form('/revoke', { token: 'x' }, { headers: { authorization: 'Basic ' + Buffer.from([0x25, 0x46, 0x46, 0x3a, 0x78]).toString('base64') } });
  await server.form('/revoke', { token: 'x', token_type_hint: 'a\u0001\u00ff"\\' }, { headers: { authorization: basic('demo-client', 'wrong') } });
  const c = await server.createClient({ grant_types: ['client_credentials'] });
  await server.form('/revoke', 'token=x&token_type_hint=%FF%FE%01', { headers: { authorization: basic(c.client_id, c.client_secret) } });
  await new Promise((r) => setTimeout(r, 100));
  const a = await server.admin('GET', '/audit?limit=50');
  assert.equal(a.status, 200, a.text);
  assert.ok(a.json.events.length >= 3);
  const b = await server.admin('GET', '/audit?event=revoke&limit=50');
  assert.equal(b.status, 200);
  for (const line of server.stderr.trim().split('\n').filter((l) => l.startsWith('{'))) JSON.parse(line);
});

test('no CORS headers on the admin API or the login page, whatever client_id is named', async () => {
  const origin = 'https://evil2.example';
  const c = await server.createClient({ token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], redirect_uris: ['https://evil2.example/cb'], authorized_origins: [origin] });
  let r = await fetch(`${server.url}/admin/config?client_id=${c.client_id}`, { headers: { origin, authorization: `Bearer ${server.adminToken}` } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('access-control-allow-origin'), null);
  r = await fetch(`${server.url}/admin/config`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } });
  assert.equal(r.headers.get('access-control-allow-origin'), null);
  r = await fetch(`${server.url}/authorize?client_id=${c.client_id}&response_type=code`, { headers: { origin }, redirect: 'manual' });
  assert.equal(r.headers.get('access-control-allow-origin'), null);
  // the revocation endpoint still answers the registered origin of the authenticated client
  r = await fetch(`${server.url}/revoke`, { method: 'POST', headers: { origin, 'content-type': 'application/x-www-form-urlencoded' }, body: `token=x&client_id=${c.client_id}` });
  assert.equal(r.headers.get('access-control-allow-origin'), origin);
});

test('database, WAL and key files are readable by their owner only', async () => {
  const files = readdirSync(server.dir).filter((f) => f.startsWith('rescind.db') || ['pepper', 'signing-key.jwk', 'admin-credential'].includes(f));
  assert.ok(files.length >= 4);
  for (const f of files) {
    assert.equal(statSync(join(server.dir, f)).mode & 0o077, 0, `${f} is group/other accessible`);
  }
});

test('clients that reset the connection before their answer: nothing leaks, the requests are logged as aborted', async () => {
  // Requests answered after a durable write or on a handler thread are completed by libmicrohttpd
  // without a last call when the client is gone. The sanitizer build reports any leak at the stop.
  const s = await startServer();
  try {
    const c = await s.createClient({ grant_types: ['client_credentials'] });
    const auth = `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`;
    const live = [];
    for (let i = 0; i < 20; i++) {
      live.push((await s.form('/token', { grant_type: 'client_credentials' }, { headers: { authorization: auth } })).json.access_token);
    }
    const form = (path, body) => `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\n` +
      `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const reg = JSON.stringify({ redirect_uris: ['https://app.example/cb'] });
    const requests = [
      ...Array.from({ length: 40 }, () => form('/token', 'grant_type=client_credentials')), // async durable write
      ...live.map((t) => form('/revoke', `token=${t}`)), // async revocation
      ...Array.from({ length: 20 }, () => `POST /register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${reg.length}\r\n\r\n${reg}`), // handler thread
      ...Array.from({ length: 20 }, () => 'GET /admin/health HTTP/1.1\r\nHost: x\r\n\r\n'), // handler thread, refused
    ];
    const port = Number(new URL(s.url).port);
    const send = (raw, after) => new Promise((resolve) => {
      const sock = net.connect(port, '127.0.0.1', () => {
        sock.write(raw, () => setTimeout(() => { sock.resetAndDestroy(); resolve(); }, after));
      });
      sock.on('error', resolve);
    });
    // these race their answer (a reset may also come before the request is read)
    await Promise.all(requests.map((raw) => send(raw, 0)));
    // these lose for sure: a sign-in hashes its password on a handler thread, two at a time
    // (unknown users: the same argon2 round, one name each so none is held back)
    const pc = await s.createClient({ redirect_uris: ['https://app.example/cb'] });
    const login = (i) => {
      const body = new URLSearchParams({ csrf_token: 'c', username: `nobody-${i}`, password: 'x', response_type: 'code',
        client_id: pc.client_id, redirect_uri: 'https://app.example/cb', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256' }).toString();
      return `POST /authorize HTTP/1.1\r\nHost: x\r\nCookie: rescind_csrf=c\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    };
    await Promise.all(Array.from({ length: 10 }, (_, i) => send(login(i), 60)));
    // the server keeps serving, and logged the answers nobody received
    const abortedLines = () => s.stderr.split('\n').filter((l) => l.includes('"event":"request_aborted"'));
    // Whether libmicrohttpd completes such a request without a last call (the path that leaked;
    // logged as request_aborted) or calls it and then fails to send (logged as an ordinary
    // request) depends on what it notices first; usually several take the first path. The
    // sanitizer build (make check) fails at the stop below on any leak, either way.
    const signIns = () => s.stderr.split('\n').filter((l) => l.includes('"path":"/authorize"') &&
      /"event":"(request|request_aborted)"/.test(l)).length;
    // (some never start: their reset came first) wait until no more arrive for half a second
    for (let i = 0, seen = -1, still = 0; i < 200 && still < 10; i++) {
      await new Promise((r) => setTimeout(r, 50));
      still = signIns() === seen ? still + 1 : 0;
      seen = signIns();
    }
    const aborted = abortedLines().length;
    assert.ok(aborted >= 1, `no request_aborted line\n${s.stderr.slice(-3000)}`);
    const line = JSON.parse(s.stderr.split('\n').find((l) => l.includes('"event":"request_aborted"')));
    assert.match(line.request_id, /^[0-9a-f]{16}$/);
    assert.ok(['/token', '/revoke', '/register', '/admin/health', '/authorize'].includes(line.path), line.path);
    assert.equal((await s.form('/token', { grant_type: 'client_credentials' }, { headers: { authorization: auth } })).status, 200);
    for (const secret of [c.client_secret, ...live]) assert.equal(s.stderr.indexOf(secret), -1, 'never a secret or token in the log');
  } finally {
    await s.cleanup(); // throws on a sanitizer report (a leak of the dropped answers)
  }
});
