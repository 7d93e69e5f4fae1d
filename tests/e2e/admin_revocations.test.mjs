// Administration beyond the basics: revoke by selector (POST /admin/revocations), the token
// listing (GET /admin/tokens), admin credentials (/admin/credentials), and the CLI commands on
// top of them. Effects are checked through introspection by the token's own client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { startServer, basic } from './lib/server.mjs';
import { discover } from './lib/oauth.mjs';
import { codeFlow, login } from './lib/flow.mjs';

const CLI = process.env.RESCIND_CLI || resolve('build/rescind');
const REDIRECT = 'http://127.0.0.1:9/cb';
const ALICE = { username: 'alice', password: 'correct horse battery' };
const BOB = { username: 'bob', password: 'battery staple horse' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let server, as, alice, bob;

before(async () => {
  server = await startServer();
  as = await discover(server);
  alice = await server.createUser(ALICE.username, ALICE.password);
  bob = await server.createUser(BOB.username, BOB.password);
});
after(async () => {
  await server.cleanup();
});

const mkClient = (name) =>
  server.createClient({
    client_name: name,
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    scope: 'openid offline_access',
  });

async function cc(c) {
  const r = await server.form('/token', { grant_type: 'client_credentials' }, { headers: { authorization: basic(c.client_id, c.client_secret) } });
  assert.equal(r.status, 200, r.text);
  return r.json.access_token;
}
const userToken = async (c, user) => (await codeFlow(as, c, { ...user, scope: 'openid offline_access', redirectUri: REDIRECT })).access_token;
async function active(c, token) {
  const r = await server.form('/introspect', { token }, { headers: { authorization: basic(c.client_id, c.client_secret) } });
  assert.equal(r.status, 200, r.text);
  return r.json.active;
}
const revoke = (body) => server.admin('POST', '/revocations', body);
const tokensOf = async (q) => (await server.admin('GET', `/tokens?${new URLSearchParams(q)}`)).json.tokens;

test('revoking by sub also ends the user\'s login sessions: the stolen browser gets no new code', async () => {
  // found in review: with the session alive, the browser got fresh codes at once
  const C = await mkClient('laptop');
  const carol = await server.createUser('carol', 'a stolen laptop password');
  const signedIn = await login(as, C, { username: 'carol', password: 'a stolen laptop password', redirectUri: REDIRECT });
  const cookie = `rescind_session=${signedIn.cookies.rescind_session}`;
  const authorize = async () => {
    const u = new URL(as.authorization_endpoint);
    for (const [k, v] of Object.entries({ response_type: 'code', client_id: C.client_id, redirect_uri: REDIRECT, scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })) u.searchParams.set(k, v);
    return fetch(u, { redirect: 'manual', headers: { cookie } });
  };
  assert.equal((await authorize()).status, 302, 'the session works before');

  // sessions are the user's: a selection narrowed to a client leaves them, and a cut-off time
  // ends only those begun before it
  let r = await revoke({ sub: carol.sub, client_id: C.client_id, dry_run: true });
  assert.deepEqual([r.json.grants, r.json.sessions], [2, 0]);
  r = await revoke({ sub: carol.sub, issued_before: Math.floor(Date.now() / 1000) - 60, dry_run: true });
  assert.equal(r.json.sessions, 0);
  r = await revoke({ sub: carol.sub, dry_run: true });
  // two grants: the sign-in's code and the one just issued through the session
  assert.deepEqual([r.json.grants, r.json.sessions], [2, 1]);
  assert.equal((await authorize()).status, 302, 'a dry run ends nothing');
  r = await revoke({ sub: carol.sub, reason: 'laptop stolen' });
  assert.deepEqual([r.json.grants, r.json.sessions], [3, 1]);
  const after = await authorize();
  assert.equal(after.status, 200, 'the login page, no code');
  const ev = (await server.admin('GET', '/audit?event=admin_revocation')).json.events[0];
  assert.equal(ev.detail.sessions, 1);
  // without sub no session ends
  await login(as, C, { username: 'carol', password: 'a stolen laptop password', redirectUri: REDIRECT });
  r = await revoke({ client_id: C.client_id });
  assert.equal(r.json.sessions, 0);
});

test('POST /admin/revocations refuses requests without a selector or with bad members', async () => {
  for (const body of [{}, { dry_run: true }, { reason: 'cleanup' }]) {
    const r = await revoke(body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.json.error, 'invalid_request');
    assert.match(r.json.error_description, /selector/);
  }
  const bad = [
    [{ client_id: 'x', issued_before: 'yesterday' }, /issued_before/],
    [{ client_id: 'x', issued_before: -5 }, /issued_before/],
    [{ client_id: 'x', dry_run: 'yes' }, /dry_run/],
    [{ client_id: 'x', reason: 'r'.repeat(501) }, /reason/],
    [{ client_id: '' }, /client_id/],
    [{ sub: 7 }, /sub/],
    [{ client_id: 'x', everything: true }, /unknown member/],
  ];
  for (const [body, re] of bad) {
    const r = await revoke(body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(r.json.error_description, re);
  }
  assert.equal((await revoke({ client_id: 'x', reason: 'é'.repeat(500) })).status, 200, '500 characters are fine');
  const r = await fetch(`${server.url}/admin/revocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"client_id":"x"}' });
  assert.equal(r.status, 401);
});

test('selectors: dry run counts and changes nothing, then exactly the selected grants go', async () => {
  const A = await mkClient('sel A');
  const B = await mkClient('sel B');
  const aCc = await cc(A);
  const aAlice = await userToken(A, ALICE);
  const aBob = await userToken(A, BOB);
  const bAlice = await userToken(B, ALICE);
  const everyone = () => Promise.all([active(A, aCc), active(A, aAlice), active(A, aBob), active(B, bAlice)]);
  assert.deepEqual(await everyone(), [true, true, true, true]);

  // dry run: counts the three grants of A and touches nothing
  let r = await revoke({ client_id: A.client_id, dry_run: true, reason: 'just looking' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.dry_run, true);
  assert.equal(r.json.grants, 3);
  assert.ok(r.json.tokens >= 5, `tokens: ${r.json.tokens}`); // cc + 2 x (access, refresh, id, code)
  const dryTokens = r.json.tokens;
  assert.deepEqual(await everyone(), [true, true, true, true], 'dry run revoked nothing');
  assert.equal((await server.admin('GET', '/audit?event=admin_revocation')).json.events.filter((e) => e.client_id === A.client_id).length, 0, 'a dry run leaves no record');

  // client AND sub: only alice's grant at A
  r = await revoke({ client_id: A.client_id, sub: alice.sub, reason: 'alice lost her laptop' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual([r.json.dry_run, r.json.grants], [false, 1]);
  assert.deepEqual(await everyone(), [true, false, true, true]);
  let aliceTokens = r.json.tokens;

  // the audit record: selectors, counts, reason, who; never a token
  const ev = (await server.admin('GET', `/audit?event=admin_revocation&client_id=${A.client_id}`)).json.events[0];
  assert.ok(ev, 'audit record written');
  assert.equal(ev.outcome, 'revoked');
  assert.deepEqual(ev.detail.selectors, { client_id: A.client_id, sub: alice.sub });
  assert.equal(ev.detail.reason, 'alice lost her laptop');
  assert.equal(ev.detail.grants, 1);
  assert.equal(ev.detail.tokens, aliceTokens);
  assert.equal(ev.detail.admin, 'initial');
  const evText = JSON.stringify(ev);
  for (const t of [aCc, aAlice, aBob, bAlice]) assert.ok(!evText.includes(t), 'no token in the audit record');

  // the same request again: nothing left to revoke
  r = await revoke({ client_id: A.client_id, sub: alice.sub });
  assert.deepEqual([r.json.grants, r.json.tokens], [0, 0]);

  // sub alone: bob's grant at A, nobody else's
  r = await revoke({ sub: bob.sub });
  assert.equal(r.json.grants, 1);
  assert.deepEqual(await everyone(), [true, false, false, true]);

  // grant_id: the grant of B's token for alice, found through the listing
  const [bGrant] = new Set((await tokensOf({ client_id: B.client_id })).map((t) => t.grant_id));
  r = await revoke({ grant_id: bGrant });
  assert.equal(r.json.grants, 1);
  assert.deepEqual(await everyone(), [true, false, false, false]);

  // what the dry run promised for A is what A lost in total
  r = await revoke({ client_id: A.client_id });
  assert.equal(r.json.grants, 1, 'only the client_credentials grant was still live');
  aliceTokens += r.json.tokens;
  assert.deepEqual(await everyone(), [false, false, false, false]);
  assert.ok(dryTokens >= aliceTokens);
});

test('issued_before selects older grants only, alone or with a client', async () => {
  const C = await mkClient('sel C');
  const D = await mkClient('sel D');
  const oldC = await cc(C);
  const oldD = await cc(D);
  const [first] = await tokensOf({ client_id: C.client_id });
  const cutoff = first.iat + 1;
  // the server's clock is coarse (CLOCK_REALTIME_COARSE, a few ms behind): wait a margin past
  // the cutoff, or a token minted right at the turn of the second still counts as older
  while (Date.now() / 1000 < cutoff + 0.05) await sleep(20);
  const newC = await cc(C);
  const newD = await cc(D);

  let r = await revoke({ client_id: C.client_id, issued_before: cutoff, dry_run: true });
  assert.deepEqual([r.json.grants, r.json.tokens], [1, 1]);
  r = await revoke({ client_id: C.client_id, issued_before: cutoff });
  assert.deepEqual([r.json.grants, r.json.tokens], [1, 1]);
  assert.deepEqual([await active(C, oldC), await active(C, newC), await active(D, oldD), await active(D, newD)], [false, true, true, true]);

  r = await revoke({ issued_before: cutoff, sub: 'nobody-has-this-sub' });
  assert.equal(r.json.grants, 0, 'selectors combine with AND');
  assert.equal(await active(D, oldD), true);
});

test('GET /admin/tokens pages through a client\'s tokens and never shows a token', async () => {
  const E = await mkClient('list E');
  const issued = [];
  for (let i = 0; i < 5; i++) issued.push(await cc(E));
  const withAlice = await userToken(E, ALICE);

  const pages = [];
  for (const offset of [0, 2, 4, 6]) {
    const r = await server.admin('GET', `/tokens?client_id=${E.client_id}&limit=2&offset=${offset}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.limit, 2);
    assert.equal(r.json.offset, offset);
    for (const t of [...issued, withAlice]) assert.ok(!r.text.includes(t), 'no token in the listing');
    pages.push(r.json.tokens);
  }
  assert.deepEqual(pages.map((p) => p.length), [2, 2, 2, 2]); // 5 cc + alice's 4 (code, access, refresh, id) = 9
  const all = (await server.admin('GET', `/tokens?client_id=${E.client_id}`)).json.tokens;
  assert.equal(all.length, 9);
  assert.deepEqual(pages.flat(), all.slice(0, 8), 'pages follow one stable order');
  for (const t of all) {
    assert.deepEqual(Object.keys(t).sort(), ['client_id', 'exp', 'grant_id', 'iat', 'scope', 'state', 'sub', 'type']);
    assert.equal(t.client_id, E.client_id);
  }
  const types = all.map((t) => t.type).sort();
  assert.deepEqual(types, ['access_token', 'access_token', 'access_token', 'access_token', 'access_token', 'access_token', 'authorization_code', 'id_token', 'refresh_token']);
  assert.equal(all.find((t) => t.type === 'authorization_code').state, 'used');

  // by subject: alice's tokens at E, and after revoking her grant they show as revoked
  let mine = await tokensOf({ sub: alice.sub, client_id: E.client_id });
  assert.equal(mine.length, 4);
  assert.ok(mine.every((t) => t.sub === alice.sub));
  await revoke({ grant_id: mine[0].grant_id });
  mine = await tokensOf({ sub: alice.sub, client_id: E.client_id });
  assert.ok(mine.every((t) => t.state === 'revoked'), JSON.stringify(mine));

  for (const q of ['', 'limit=5', `client_id=${E.client_id}&limit=0`, `client_id=${E.client_id}&limit=1001`, `client_id=${E.client_id}&offset=-1`]) {
    const r = await server.admin('GET', `/tokens?${q}`);
    assert.equal(r.status, 400, q);
    assert.equal(r.json.error, 'invalid_request');
  }
});

test('admin credentials: issue, use, list, delete; never the one in use', async () => {
  const call = (token, method, path, body) =>
    fetch(`${server.url}/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  let r = await server.admin('POST', '/credentials', { name: 'ops-1' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.name, 'ops-1');
  const cred = r.json.credential;
  assert.match(cred, /^[A-Za-z0-9_-]{43}$/);
  assert.equal((await call(cred, 'GET', '/clients')).status, 200, 'the new credential works');

  r = await server.admin('GET', '/credentials');
  assert.equal(r.status, 200);
  const names = r.json.credentials.map((c) => c.name);
  assert.ok(names.includes('initial') && names.includes('ops-1'), r.text);
  assert.ok(r.json.credentials.every((c) => Object.keys(c).sort().join() === 'created_at,name'), 'names and times only');
  assert.ok(!r.text.includes(cred));

  assert.equal((await server.admin('POST', '/credentials', { name: 'ops-1' })).status, 409);
  // concurrent requests for one new name: exactly one gets it
  const racing = await Promise.all(Array.from({ length: 12 }, () => server.admin('POST', '/credentials', { name: 'ops-race' })));
  assert.deepEqual(racing.map((x) => x.status).sort(), [201, ...Array(11).fill(409)]);
  assert.equal((await server.admin('GET', '/credentials')).json.credentials.filter((c) => c.name === 'ops-race').length, 1);
  assert.equal((await server.admin('POST', '/credentials', { name: 'bad name!' })).status, 400);
  assert.equal((await server.admin('POST', '/credentials', {})).status, 400);

  // nobody deletes the credential they are using, whichever it is
  r = await call(cred, 'DELETE', '/credentials/ops-1');
  assert.equal(r.status, 409);
  assert.equal((await call(cred, 'GET', '/clients')).status, 200);
  r = await server.admin('DELETE', '/credentials/initial');
  assert.equal(r.status, 409);

  r = await server.admin('DELETE', '/credentials/ops-1');
  assert.equal(r.status, 204);
  r = await call(cred, 'GET', '/clients');
  assert.equal(r.status, 401, 'a deleted credential is refused');
  assert.equal((await server.admin('DELETE', '/credentials/ops-1')).status, 404);
  assert.ok(!(await server.admin('GET', '/credentials')).json.credentials.some((c) => c.name === 'ops-1'));
  const audit = (await server.admin('GET', '/audit?event=admin_credential_create')).json.events;
  assert.ok(audit.length >= 1 && !JSON.stringify(audit).includes(cred), 'audited without the credential');
});

function cli(args, env = {}) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RESCIND_')));
  const r = spawnSync(CLI, args, { env: { ...base, RESCIND_URL: server.url, RESCIND_TOKEN: server.adminToken, ...env }, input: '', encoding: 'utf8', timeout: 30000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('CLI: revoke --dry-run, revoke, token list, token revoke, credential add/list/rm', async () => {
  assert.ok(existsSync(CLI), `CLI binary not found at ${CLI}`);
  const F = await mkClient('cli F');
  const f1 = await cc(F);
  const f2 = await userToken(F, BOB);

  let r = cli(['revoke', '--client', F.client_id, '--dry-run', '--reason', 'audit drill']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^would revoke 2 grant\(s\), \d+ token\(s\)$/m);
  assert.deepEqual([await active(F, f1), await active(F, f2)], [true, true]);

  r = cli(['--json', 'revoke', '--client', F.client_id, '--sub', bob.sub, '--dry-run']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).grants, 1);

  r = cli(['revoke', '--dry-run']);
  assert.equal(r.code, 2, 'no selector is a usage error');
  assert.match(r.stderr, /at least one/);
  r = cli(['revoke', '--client', F.client_id, '--before', 'soon']);
  assert.equal(r.code, 2);

  r = cli(['token', 'list', '--client', F.client_id]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /^GRANT_ID\s+TYPE\s+STATE\s+CLIENT_ID\s+SUB\s+SCOPE\s+EXPIRES$/);
  assert.equal(lines.length, 1 + 5, r.stdout); // cc + bob's code, access, refresh, id
  assert.ok(!r.stdout.includes(f1) && !r.stdout.includes(f2));
  assert.equal(cli(['token', 'list']).code, 2);
  r = cli(['--json', 'token', 'list', '--sub', bob.sub, '--limit', '1']);
  assert.equal(JSON.parse(r.stdout).tokens.length, 1);

  const ccGrant = (await tokensOf({ client_id: F.client_id })).find((t) => t.sub === '').grant_id;
  r = cli(['token', 'revoke', ccGrant, '--reason', 'leaked in a log']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^revoked 1 grant\(s\), 1 token\(s\)$/m);
  assert.deepEqual([await active(F, f1), await active(F, f2)], [false, true]);

  r = cli(['revoke', '--client', F.client_id, '--reason', 'decommissioned']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^revoked 1 grant\(s\)/m);
  assert.equal(await active(F, f2), false);

  r = cli(['credential', 'add', 'cli-ops']);
  assert.equal(r.code, 0, r.stderr);
  const cred = (r.stdout.match(/^credential: (\S+)$/m) || [])[1];
  assert.ok(cred, r.stdout);
  r = cli(['credential', 'list'], { RESCIND_TOKEN: cred });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^cli-ops\s+\d{4}-/m);
  r = cli(['credential', 'rm', 'cli-ops'], { RESCIND_TOKEN: cred });
  assert.equal(r.code, 1, 'refused: that is the credential in use');
  assert.match(r.stderr, /this request uses that credential/);
  r = cli(['credential', 'rm', 'cli-ops']);
  assert.equal(r.code, 0, r.stderr);
  r = cli(['client', 'list'], { RESCIND_TOKEN: cred });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^rescind: 401 /);
  assert.equal(cli(['credential', 'add']).code, 2);
});
