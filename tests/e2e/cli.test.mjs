// The `rescind` admin CLI against a real server: client, user, config, feature and audit
// commands, table and --json output, and the exit codes (0 ok, 1 refused/unreachable, 2 usage).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startServer, freePort, basic } from './lib/server.mjs';

const CLI = process.env.RESCIND_CLI || resolve('build/rescind');
let server;

before(async () => {
  assert.ok(existsSync(CLI), `CLI binary not found at ${CLI} (set RESCIND_CLI)`);
  server = await startServer();
});
after(async () => {
  await server.cleanup();
});

// Runs the CLI; env overrides are merged over a clean environment (no inherited RESCIND_*).
function cli(args, { env = {}, input } = {}) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RESCIND_')));
  const r = spawnSync(CLI, args, {
    env: { ...base, RESCIND_URL: server.url, RESCIND_TOKEN: server.adminToken, ...env },
    input: input ?? '',
    encoding: 'utf8',
    timeout: 30000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lines = (s) => s.split('\n').filter((l) => l.length);

function assertOneErrorLine(r, re) {
  assert.equal(r.code, 1, `exit code; stderr: ${r.stderr}`);
  assert.equal(lines(r.stderr).length, 1, `one line on stderr: ${JSON.stringify(r.stderr)}`);
  assert.match(r.stderr, /^rescind: /);
  if (re) assert.match(r.stderr, re);
}

async function token(id, secret) {
  return server.form('/token', { grant_type: 'client_credentials' }, { headers: { authorization: basic(id, secret) } });
}

test('client add / list / show / rm round trip', async () => {
  let r = cli(['client', 'add', '--id', 'cli-svc', '--name', 'CLI service', '--grant-type', 'client_credentials', '--scope', 'read write']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^client_id: cli-svc$/m);
  const secret = (r.stdout.match(/^client_secret: (\S+)$/m) || [])[1];
  assert.ok(secret, r.stdout);
  assert.equal((await token('cli-svc', secret)).status, 200);

  r = cli(['client', 'list']);
  assert.equal(r.code, 0, r.stderr);
  const rows = lines(r.stdout);
  assert.match(rows[0], /^CLIENT_ID\s+AUTH_METHOD\s+GRANT_TYPES/);
  const row = rows.find((l) => l.startsWith('cli-svc '));
  assert.ok(row, r.stdout);
  assert.match(row, /client_secret_basic\s+client_credentials\s+read write\s+CLI service/);
  // aligned: every row has its second column at the same offset as the header's
  const col = rows[0].indexOf('AUTH_METHOD');
  assert.ok(rows.slice(1).every((l) => l[col - 1] === ' ' && l[col] !== ' '), r.stdout);

  r = cli(['client', 'show', 'cli-svc']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^client_name\s+CLI service$/m);

  r = cli(['client', 'rm', 'cli-svc']);
  assert.equal(r.code, 0, r.stderr);
  r = cli(['client', 'list']);
  assert.ok(!lines(r.stdout).some((l) => l.startsWith('cli-svc ')));
  assert.equal((await token('cli-svc', secret)).status, 401);

  assertOneErrorLine(cli(['client', 'show', 'cli-svc']), /no such client/);
  assertOneErrorLine(cli(['client', 'add', '--redirect-uri', 'http://evil.example/cb']), /redirect_uris/);
});

test('client revoke reports the counts', async () => {
  const c = await server.createClient({ grant_types: ['client_credentials'] });
  await token(c.client_id, c.client_secret);
  const r = cli(['client', 'revoke', c.client_id]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /revoked 1 grant\(s\), 1 token\(s\)/);
});

test('user add reads the password from stdin; list, show and rm', async () => {
  let r = cli(['user', 'add', 'frank', '--email', 'frank@example.com', '--name', 'Frank F'], { input: 'a long enough password\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /created user frank/);
  const u = (await server.admin('GET', '/users')).json.users.find((x) => x.username === 'frank');
  assert.deepEqual([u.email, u.name], ['frank@example.com', 'Frank F']);

  r = cli(['user', 'list']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^frank\s+[0-9a-f]{32}\s+frank@example\.com\s+Frank F$/m);

  r = cli(['user', 'show', 'frank']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^sub\\s+${u.sub}$`, 'm'));
  assert.match(r.stdout, /^email\s+frank@example\.com$/m);
  assert.doesNotMatch(r.stdout, /pw_hash|argon2/, 'never the password hash');
  assert.equal(JSON.parse(cli(['--json', 'user', 'show', 'frank']).stdout).username, 'frank');
  assertOneErrorLine(cli(['user', 'show', 'nobody']), /no such user/);

  assertOneErrorLine(cli(['user', 'add', 'grace'], { input: 'short\n' }), /password/);
  assertOneErrorLine(cli(['user', 'add', 'frank'], { input: 'another long password\n' }), /already exists/);

  r = cli(['user', 'rm', 'frank']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!(await server.admin('GET', '/users')).json.users.some((x) => x.username === 'frank'));
  assertOneErrorLine(cli(['user', 'rm', 'frank']), /no such user/);
});

test('config get / set, including refused values', async () => {
  let r = cli(['config', 'get', 'accessTokenLifetime']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '300\n');

  r = cli(['config', 'set', 'accessTokenLifetime', '150']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /accessTokenLifetime = 150/);
  assert.equal((await server.admin('GET', '/config')).json.accessTokenLifetime, 150);
  assert.equal(cli(['config', 'get', 'accessTokenLifetime']).stdout, '150\n');

  // not JSON, so sent as a string
  r = cli(['config', 'set', 'logLevel', 'warn']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await server.admin('GET', '/config')).json.logLevel, 'warn');

  assertOneErrorLine(cli(['config', 'set', 'accessTokenLifetime', '-5']), /accessTokenLifetime/);
  assertOneErrorLine(cli(['config', 'set', 'accessTokenLifetime', 'soon']), /accessTokenLifetime/);
  assertOneErrorLine(cli(['config', 'set', 'noSuchThing', '1']), /noSuchThing/);
  assertOneErrorLine(cli(['config', 'get', 'noSuchThing']), /noSuchThing/);
  assert.equal((await server.admin('GET', '/config')).json.accessTokenLifetime, 150, 'refusals change nothing');

  r = cli(['config', 'set', 'connectionTimeout', '40']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /restart required for: connectionTimeout/);

  for (const name of ['accessTokenLifetime', 'logLevel', 'connectionTimeout']) {
    assert.equal(cli(['config', 'set', name, 'null']).code, 0);
  }
  assert.equal((await server.admin('GET', '/config')).json.accessTokenLifetime, 300);

  r = cli(['config', 'get']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^accessTokenLifetime\s+300$/m);

  r = cli(['config', 'describe', 'accessTokenLifetime']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^accessTokenLifetime\s+integer\s+300\s+1\.\.31536000\s+no\s+Access token lifetime in seconds$/m);
  r = cli(['config', 'describe', 'issuer']); // no range for a string
  assert.match(r.stdout, /^issuer\s+string\s+no\s+Issuer identifier/m);
  r = cli(['--json', 'config', 'describe', 'listen']);
  assert.equal(JSON.parse(r.stdout).restart_required, true);
  assertOneErrorLine(cli(['config', 'describe', 'noSuchThing']), /noSuchThing/);
});

test('feature disable / enable', async () => {
  const disco = async () => (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
  let r = cli(['feature', 'disable', 'REVOKE_TOKEN']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^REVOKE_TOKEN\s+no$/m);
  assert.equal((await disco()).revocation_endpoint, undefined);

  r = cli(['feature', 'list']);
  assert.match(r.stdout, /^FEATURE\s+ENABLED$/m);
  assert.match(r.stdout, /^REVOKE_TOKEN\s+no$/m);
  assert.match(r.stdout, /^INTROSPECTION\s+yes$/m);

  r = cli(['feature', 'enable', 'REVOKE_TOKEN']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^REVOKE_TOKEN\s+yes$/m);
  assert.ok((await disco()).revocation_endpoint);

  assertOneErrorLine(cli(['feature', 'enable', 'NO_SUCH_FLAG']), /feature/);
});

test('audit lists events, filtered', () => {
  const r = cli(['audit', '--event', 'config_change', '--limit', '2']);
  assert.equal(r.code, 0, r.stderr);
  const rows = lines(r.stdout);
  assert.match(rows[0], /^ID\s+TIME\s+EVENT\s+CLIENT_ID\s+OUTCOME\s+DETAIL$/);
  assert.equal(rows.length, 3);
  assert.ok(rows.slice(1).every((l) => /\dZ\s+config_change\s/.test(l)), r.stdout);
  assertOneErrorLine(cli(['audit', '--limit', '0']), /limit/);
});

test('--json prints the server JSON', () => {
  let r = cli(['--json', 'client', 'list']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.ok(Array.isArray(j.clients));
  assert.ok(j.clients.some((c) => c.client_id === 'demo-client'));

  r = cli(['--json', 'feature', 'list']);
  assert.equal(JSON.parse(r.stdout).features.length, 6);

  r = cli(['--json', 'config', 'get']);
  assert.equal(JSON.parse(r.stdout).accessTokenLifetime, 300);

  r = cli(['--json', 'client', 'add', '--grant-type', 'client_credentials']);
  const c = JSON.parse(r.stdout);
  assert.ok(c.client_id && c.client_secret);
});

test('usage errors exit 2 without touching the server; help exits 0', () => {
  for (const args of [[], ['bogus'], ['--nope', 'client', 'list'], ['client'], ['client', 'frobnicate'], ['client', 'show'], ['client', 'add', 'extra'], ['audit', '--limit'], ['config', 'set', 'x'], ['feature', 'enable'], ['user', 'add'], ['--url']]) {
    const r = cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^rescind: /, args.join(' '));
    assert.match(r.stderr, /usage: rescind/, args.join(' '));
    assert.equal(r.stdout, '', args.join(' '));
  }
  for (const args of [['-h'], ['--help'], ['client', '-h'], ['client', 'add', '--help'], ['user', '--help'], ['config', '-h'], ['feature', '-h'], ['audit', '-h']]) {
    const r = cli(args, { env: { RESCIND_TOKEN: '', RESCIND_URL: 'http://127.0.0.1:1' } });
    assert.equal(r.code, 0, args.join(' '));
    assert.match(r.stdout, /usage: rescind/, args.join(' '));
  }
});

test('server down: exit 1 with one line', async () => {
  const port = await freePort();
  const r = cli(['client', 'list'], { env: { RESCIND_URL: `http://127.0.0.1:${port}` } });
  assertOneErrorLine(r, new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port}: `));
  assert.equal(r.stdout, '');
});

test('wrong token: exit 1 with the 401', () => {
  const r = cli(['client', 'list'], { env: { RESCIND_TOKEN: 'not-the-credential' } });
  assertOneErrorLine(r, /^rescind: 401 invalid_token: /);
});

test('credential from --credential-file, RESCIND_CREDENTIAL_FILE, or missing', () => {
  const file = join(server.dir, 'admin-credential');
  let r = cli(['--credential-file', file, 'feature', 'list'], { env: { RESCIND_TOKEN: '' } });
  assert.equal(r.code, 0, r.stderr);
  r = cli(['feature', 'list'], { env: { RESCIND_TOKEN: '', RESCIND_CREDENTIAL_FILE: file } });
  assert.equal(r.code, 0, r.stderr);
  r = cli(['--url', server.url, '--token', server.adminToken, 'feature', 'list'], { env: { RESCIND_TOKEN: '', RESCIND_URL: 'http://127.0.0.1:1' } });
  assert.equal(r.code, 0, r.stderr);
  r = cli(['feature', 'list'], { env: { RESCIND_TOKEN: '', RESCIND_CREDENTIAL_FILE: join(server.dir, 'missing') } });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no admin credential/);
});
