// A person signs in: headless Chromium opens the authorization URL, fills the real login page
// and submits it; a small HTTP server on loopback plays the client's redirect URI. The code it
// receives is exchanged through oauth4webapi, then userinfo is read with the access token.
// Also saves a screenshot of the login page to /tmp/rescind-login.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, freePort } from './lib/server.mjs';
import { oauth, discover, insecure, clientOf, authOf, userinfo } from './lib/oauth.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SCREENSHOT = '/tmp/rescind-login.png';
const USER = 'bob';
const PASSWORD = 'a long enough password';

let server, as, client, context, profileDir, callbackServer, redirectUri;
const callbacks = []; // waiters for the next request to /cb

before(async () => {
  server = await startServer();
  as = await discover(server);
  const port = await freePort();
  redirectUri = `http://127.0.0.1:${port}/cb`;
  callbackServer = createServer((req, res) => {
    const url = new URL(req.url, redirectUri);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(url.pathname === '/cb' ? 'signed in' : 'not found');
    if (url.pathname === '/cb') callbacks.shift()?.(url);
  });
  await new Promise((r) => callbackServer.listen(port, '127.0.0.1', r));
  client = await server.createClient({
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    client_name: 'Browser Test App',
  });
  await server.createUser(USER, PASSWORD, { email: 'bob@example.com', name: 'Bob' });
  profileDir = mkdtempSync(join(tmpdir(), 'rescind-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
});

after(async () => {
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await new Promise((r) => (callbackServer ? callbackServer.close(r) : r()));
  await server.cleanup();
});

function nextCallback(ms = 15000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no request reached the redirect URI')), ms);
    callbacks.push((url) => {
      clearTimeout(timer);
      resolve(url);
    });
  });
}

async function authorizationRequest() {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', client.client_id);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('scope', 'openid profile email offline_access');
  url.searchParams.set('state', state);
  url.searchParams.set('nonce', nonce);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  return { url, verifier, state, nonce };
}

async function exchange(req, callbackUrl) {
  const params = oauth.validateAuthResponse(as, clientOf(client), callbackUrl, req.state);
  const res = await oauth.authorizationCodeGrantRequest(as, clientOf(client), authOf(client), params, redirectUri, req.verifier, insecure);
  return oauth.processAuthorizationCodeResponse(as, clientOf(client), res, { expectedNonce: req.nonce, requireIdToken: true });
}

test('chromium is installed', () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
});

test('a person signs in on the login page and the client gets working tokens', async () => {
  const page = await context.newPage();
  const violations = [];
  page.on('console', (m) => /Content Security Policy/.test(m.text()) && violations.push(m.text()));
  const req = await authorizationRequest();
  const shown = await page.goto(req.url.href);
  assert.equal(shown.status(), 200);
  assert.equal(await page.locator('h1').innerText(), 'Sign in to Browser Test App');
  assert.equal(await page.locator('#username').evaluate((el) => el === document.activeElement), true, 'username has focus');
  await page.screenshot({ path: SCREENSHOT, fullPage: true });

  // a wrong password first: the page comes back with the message and the form still works
  await page.fill('#username', USER);
  await page.fill('#password', 'not the password');
  await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
  await page.waitForSelector('.err');
  assert.equal(await page.locator('.err').innerText(), 'Wrong username or password');
  assert.equal(await page.inputValue('#username'), USER, 'username kept');
  assert.equal(await page.inputValue('#password'), '', 'password never echoed');

  await page.fill('#password', PASSWORD);
  const arrived = nextCallback();
  await page.click('button[type=submit]');
  const cb = await arrived;
  assert.equal(cb.searchParams.get('state'), req.state);
  assert.equal(cb.searchParams.get('iss'), server.url);
  await page.waitForURL((u) => u.href.startsWith(redirectUri));
  assert.deepEqual(violations, [], 'the redirect after the form passes the CSP');

  const t = await exchange(req, cb);
  assert.ok(t.access_token && t.refresh_token && t.id_token);
  const claims = oauth.getValidatedIdTokenClaims(t);
  assert.equal(claims.nonce, req.nonce);
  const ui = await oauth.processUserInfoResponse(as, clientOf(client), claims.sub, await userinfo(as, client, t.access_token));
  assert.equal(ui.preferred_username, USER);

  // the browser now holds an HttpOnly session cookie: the next authorization needs no login
  const cookies = await context.cookies(server.url);
  const session = cookies.find((c) => c.name === 'rescind_session');
  assert.ok(session && session.httpOnly && session.sameSite === 'Lax');
  const req2 = await authorizationRequest();
  const again = nextCallback();
  await page.goto(req2.url.href);
  const cb2 = await again;
  const t2 = await exchange(req2, cb2);
  assert.equal(oauth.getValidatedIdTokenClaims(t2).sub, claims.sub);
  await page.close();
});
