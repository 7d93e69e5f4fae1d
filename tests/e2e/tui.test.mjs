// `rescind tui` (and the terminal password prompt of `rescind user add`) driven in a real
// terminal: tmux runs it at 80x24 against a real server, the test types with send-keys and reads
// the screen with capture-pane. Every check of an effect
// goes over HTTP (discovery, /revoke, /introspect, /admin/config), not through the TUI itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { startServer, basic } from './lib/server.mjs';
import { discover } from './lib/oauth.mjs';
import { codeFlow } from './lib/flow.mjs';

const CLI = process.env.RESCIND_CLI || resolve('build/rescind');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let server;

before(async () => {
  assert.ok(existsSync(CLI), `CLI binary not found at ${CLI} (set RESCIND_CLI)`);
  server = await startServer();
});
after(async () => {
  await server.cleanup();
});

const shq = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

// One TUI in its own tmux session.
class Tui {
  constructor() {
    this.session = `rescind-tui-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  }

  // args: the CLI's command (default the TUI). With keep, the pane stays after the command ends
  // and shows its exit status as EXIT=N.
  start(args = ['tui'], { keep = false } = {}) {
    const run = `${shq(CLI)} --url ${shq(server.url)} --token ${shq(server.adminToken)} ${args.map(shq).join(' ')}`;
    // exec: the pane's process is the TUI itself, so its pid is the one to signal and watch
    const cmd = keep ? `${run}; echo EXIT=$?; sleep 60` : `exec ${run}`;
    execFileSync('tmux', ['new-session', '-d', '-s', this.session, '-x', '80', '-y', '24', cmd], {
      env: { ...process.env, TERM: 'xterm-256color' },
    });
    this.pid = Number(execFileSync('tmux', ['display-message', '-p', '-t', this.session, '#{pane_pid}'], { encoding: 'utf8' }).trim());
  }

  keys(...k) {
    execFileSync('tmux', ['send-keys', '-t', this.session, ...k]);
  }

  // Literal text (no key-name lookup).
  type(text) {
    execFileSync('tmux', ['send-keys', '-t', this.session, '-l', text]);
  }

  screen() {
    const r = spawnSync('tmux', ['capture-pane', '-p', '-t', this.session], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout : '';
  }

  // Polls the pane until re matches; fails with the last screen after ms.
  async waitFor(re, ms = 8000) {
    const deadline = Date.now() + ms;
    let s = '';
    while (Date.now() < deadline) {
      s = this.screen();
      if (re.test(s)) return s;
      await sleep(50);
    }
    assert.fail(`timed out waiting for ${re} on screen:\n${s}`);
  }

  alive() {
    return spawnSync('tmux', ['has-session', '-t', this.session]).status === 0;
  }

  kill() {
    spawnSync('tmux', ['kill-session', '-t', this.session]);
  }

  // Moves the selection down n rows from the top of the current list.
  async down(n) {
    this.keys('Home');
    for (let i = 0; i < n; i++) this.keys('Down');
    await sleep(100);
  }
}

async function clientToken(c) {
  const r = await server.form('/token', { grant_type: 'client_credentials' }, { headers: { authorization: basic(c.client_id, c.client_secret) } });
  assert.equal(r.status, 200, r.text);
  return r.json.access_token;
}

async function discovery() {
  return (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
}

async function revokeStatus(c, token) {
  return server.form('/revoke', { token }, { headers: { authorization: basic(c.client_id, c.client_secret) } });
}

async function introspect(c, token) {
  return (await server.form('/introspect', { token }, { headers: { authorization: basic(c.client_id, c.client_secret) } })).json;
}

test('feature flags, properties, clients and quitting, all through the TUI', async () => {
  const svc = await server.createClient({ grant_types: ['client_credentials'], client_name: 'TUI svc' });
  const victim = await server.createClient({ grant_types: ['client_credentials'], client_name: 'TUI victim' });
  const wide = await server.createClient({
    client_name: 'TUI wide',
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    redirect_uris: ['https://wide.example/callback/with/a/rather/long/path/one', 'https://wide.example/callback/with/a/rather/long/path/two'],
  });
  const tui = new Tui();
  try {
    tui.start();
    await tui.waitFor(/Main menu[\s\S]*Auth Server[\s\S]*Clients[\s\S]*Tokens[\s\S]*Quit/);

    // --- Auth Server > Feature flags: disable REVOKE_TOKEN ---
    tui.keys('Enter');
    await tui.waitFor(/Feature flags \(enabledFeatureFlags\)/);
    await tui.down(1);
    tui.keys('Enter');
    await tui.waitFor(/\[x\] REVOKE_TOKEN/);
    const flags = (await server.admin('GET', '/features')).json.features.map((f) => f.name);
    await tui.down(flags.indexOf('REVOKE_TOKEN'));
    tui.keys('Space');
    await tui.waitFor(/\[ \] REVOKE_TOKEN[\s\S]*REVOKE_TOKEN is now disabled/);

    const t1 = await clientToken(svc);
    let r = await revokeStatus(svc, t1);
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.error, 'access_denied');
    assert.equal((await discovery()).revocation_endpoint, undefined);
    assert.equal((await introspect(svc, t1)).active, true, 'the refused /revoke revoked nothing');

    tui.keys('Space');
    await tui.waitFor(/\[x\] REVOKE_TOKEN[\s\S]*REVOKE_TOKEN is now enabled/);
    assert.ok((await discovery()).revocation_endpoint, 'revocation_endpoint is back');
    r = await revokeStatus(svc, t1);
    assert.equal(r.status, 200, r.text);
    assert.equal((await introspect(svc, t1)).active, false);

    // --- Auth Server > Properties: accessTokenLifetime = 120, then an invalid value ---
    tui.keys('q');
    await tui.waitFor(/^ Auth Server\s*$/m);
    await tui.down(0);
    tui.keys('Enter');
    await tui.waitFor(/Auth Server > Properties[\s\S]*accessTokenLifetime/);
    const names = Object.keys((await server.admin('GET', '/config')).json);
    await tui.down(names.indexOf('accessTokenLifetime'));
    tui.keys('Enter');
    await tui.waitFor(/accessTokenLifetime = \d+/);
    await tui.waitFor(/integer, default 300: Access token lifetime in seconds/); // what it is, while editing
    tui.keys('C-u');
    tui.type('120');
    tui.keys('Enter');
    await tui.waitFor(/accessTokenLifetime = 120 +\(saved; live now\)/);
    assert.equal((await server.admin('GET', '/config')).json.accessTokenLifetime, 120);
    assert.equal((await server.form('/token', { grant_type: 'client_credentials' }, { headers: { authorization: basic(svc.client_id, svc.client_secret) } })).json.expires_in, 120);

    // the message the server gives for this mistake, as the TUI must show it
    const refusal = await fetch(`${server.url}/admin/config`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ accessTokenLifetime: 'abc' }),
    });
    assert.equal(refusal.status, 400);
    const why = (await refusal.json()).error_description;
    assert.match(why, /accessTokenLifetime/);
    tui.keys('Enter');
    await tui.waitFor(/accessTokenLifetime = 120/);
    tui.keys('C-u');
    tui.type('abc');
    tui.keys('Enter');
    const s = await tui.waitFor(new RegExp(why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').slice(0, 70)));
    assert.match(s.split('\n').filter(Boolean).at(-1), /accessTokenLifetime/, 'shown on the status line');
    assert.equal((await server.admin('GET', '/config')).json.accessTokenLifetime, 120, 'refused: unchanged');
    assert.ok(tui.alive(), 'a refusal does not end the TUI');

    // --- Clients: revoke every token of one client ---
    const v1 = await clientToken(victim);
    const v2 = await clientToken(victim);
    const s1 = await clientToken(svc);
    tui.keys('q');
    await tui.waitFor(/^ Auth Server\s*$/m);
    tui.keys('q');
    await tui.waitFor(/Main menu/);
    await tui.down(1);
    tui.keys('Enter');
    await tui.waitFor(/CLIENT_ID[\s\S]*TUI victim/);
    const ids = (await server.admin('GET', '/clients')).json.clients.map((c) => c.client_id);
    await tui.down(ids.indexOf(victim.client_id));
    tui.keys('r');
    await tui.waitFor(new RegExp(`Revoke all tokens of client ${victim.client_id}\\? \\(y/n\\)`));
    tui.keys('y');
    await tui.waitFor(new RegExp(`revoked 2 grant\\(s\\), 2 token\\(s\\) of client ${victim.client_id}`));
    assert.equal((await introspect(victim, v1)).active, false);
    assert.equal((await introspect(victim, v2)).active, false);
    assert.equal((await introspect(svc, s1)).active, true, 'other clients keep their tokens');

    // Enter shows the details; a declined confirmation revokes nothing
    const s2 = await clientToken(svc);
    await tui.down(ids.indexOf(svc.client_id));
    tui.keys('Enter');
    await tui.waitFor(/client_name\s+TUI svc/);
    tui.keys('r');
    await tui.waitFor(/\(y\/n\)/);
    tui.keys('n');
    await tui.waitFor(/nothing revoked/);
    assert.equal((await introspect(svc, s2)).active, true);

    // a value wider than the screen goes on over the next lines instead of being cut off
    tui.keys('q');
    await tui.waitFor(/CLIENT_ID/);
    await tui.down(ids.indexOf(wide.client_id));
    tui.keys('Enter');
    const details = (await tui.waitFor(/client_name\s+TUI wide/)).replace(/\n {30}/g, ''); // continuation lines
    for (const uri of wide.redirect_uris) assert.ok(details.includes(uri), `${uri} on screen:\n${details}`);
    assert.match(details, /"refresh_token","client_credentials"\]/);

    // --- q backs out one level at a time; from the main menu it quits ---
    tui.keys('q');
    await tui.waitFor(/CLIENT_ID/);
    tui.keys('q');
    await tui.waitFor(/Main menu/);
    tui.keys('q');
    const deadline = Date.now() + 5000;
    while (tui.alive() && Date.now() < deadline) await sleep(50);
    assert.equal(tui.alive(), false, 'the tmux session ended with the TUI');
    // tmux may close the session a moment before it reaps the process
    const gone = () => { try { process.kill(tui.pid, 0); return false; } catch (e) { return e.code === 'ESRCH'; } };
    while (!gone() && Date.now() < deadline + 5000) await sleep(50);
    assert.ok(gone(), 'the TUI process has exited');
  } finally {
    tui.kill();
  }
});

test('Esc backs out, the Tokens screen lists and revokes one grant, SIGTERM ends it', async () => {
  const c = await server.createClient({ grant_types: ['client_credentials'], client_name: 'TUI tokens' });
  const keep = await clientToken(c);
  const gone = await clientToken(c);
  const tui = new Tui();
  try {
    tui.start();
    await tui.waitFor(/Main menu/);
    await tui.down(2);
    tui.keys('Enter');
    await tui.waitFor(/By client[\s\S]*By user/);
    tui.keys('Enter');
    await tui.waitFor(/^ client_id:/m);
    tui.type(c.client_id);
    tui.keys('Enter');
    await tui.waitFor(/GRANT\s+TYPE\s+STATE[\s\S]*access\s+active/);
    const list = (await server.admin('GET', `/tokens?client_id=${c.client_id}`)).json.tokens;
    assert.equal(list.length, 2);
    // the second row's grant; which of the two tokens it was is checked by introspection
    const goneGrant = list[1].grant_id;
    await tui.down(1);
    tui.keys('r');
    await tui.waitFor(new RegExp(`Revoke grant ${goneGrant} and all its tokens\\? \\(y/n\\)`));
    tui.keys('y');
    await tui.waitFor(/revoked 1 grant\(s\), 1 token\(s\)/);
    const states = [(await introspect(c, keep)).active, (await introspect(c, gone)).active];
    assert.deepEqual(states.sort(), [false, true], 'exactly one of the two grants is revoked');

    tui.keys('Escape');
    await tui.waitFor(/By client[\s\S]*By user/);
    tui.keys('Escape');
    await tui.waitFor(/Main menu/);

    // SIGTERM from outside: the TUI leaves the alternate screen and exits
    process.kill(tui.pid, 'SIGTERM');
    const deadline = Date.now() + 5000;
    while (tui.alive() && Date.now() < deadline) await sleep(50);
    assert.equal(tui.alive(), false, 'SIGTERM ends the TUI');
  } finally {
    tui.kill();
  }
});

test('rescind user add on a terminal: asked twice without echo, a mismatch creates nobody, the typed password logs in', async () => {
  const password = 'typed at a terminal, 42';
  const add = new Tui();
  try {
    add.start(['user', 'add', 'tina'], { keep: true });
    await add.waitFor(/^Password:/m);
    add.type(password);
    add.keys('Enter');
    await add.waitFor(/^Password \(again\):/m);
    add.type(password);
    add.keys('Enter');
    const screen = await add.waitFor(/EXIT=\d+/);
    assert.match(screen, /EXIT=0/, screen);
    assert.match(screen, /created user tina/);
    assert.ok(!screen.includes(password), 'the password is not echoed');
  } finally {
    add.kill();
  }

  const typo = new Tui();
  try {
    typo.start(['user', 'add', 'uma'], { keep: true });
    await typo.waitFor(/^Password:/m);
    typo.type('first long password');
    typo.keys('Enter');
    await typo.waitFor(/^Password \(again\):/m);
    typo.type('second long password');
    typo.keys('Enter');
    const screen = await typo.waitFor(/EXIT=\d+/);
    assert.doesNotMatch(screen, /EXIT=0/);
    assert.match(screen, /the passwords do not match/);
  } finally {
    typo.kill();
  }
  const users = (await server.admin('GET', '/users')).json.users.map((u) => u.username);
  assert.ok(users.includes('tina') && !users.includes('uma'), users.join(','));

  // the password the terminal took is the one stored: tina logs in with it, and not with another
  const redirectUri = 'http://127.0.0.1:9/cb';
  const app = await server.createClient({ redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'], scope: 'openid' });
  const as = await discover(server);
  const tokens = await codeFlow(as, app, { username: 'tina', password, redirectUri });
  assert.ok(tokens.access_token);
  await assert.rejects(codeFlow(as, app, { username: 'tina', password: password + '!', redirectUri }), /login: 200/);
});
