// The authorization code flow (PKCE S256) driven over plain HTTP: GET the authorization
// endpoint, fill the real login form (all its hidden fields, the CSRF cookie), follow the
// redirect, then redeem the code through oauth4webapi. Used by tests that need user tokens
// (access + refresh + id_token); the browser test does the same in Chromium.
import { oauth, insecure, clientOf, authOf } from './oauth.mjs';

function cookiesOf(res) {
  const out = {};
  for (const c of res.headers.getSetCookie?.() || []) {
    const [kv] = c.split(';');
    const i = kv.indexOf('=');
    out[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
  }
  return out;
}

function decodeHtml(s) {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

export function hiddenFields(html) {
  const fields = {};
  for (const m of html.matchAll(/<input[^>]*>/gi)) {
    const tag = m[0];
    if (!/type="?hidden"?/i.test(tag)) continue;
    const name = (tag.match(/name="([^"]*)"/i) || [])[1];
    const value = (tag.match(/value="([^"]*)"/i) || [])[1] ?? '';
    if (name) fields[decodeHtml(name)] = decodeHtml(value);
  }
  return fields;
}

// Logs in and returns { code, state, location, cookies }.
export async function login(as, client, { username, password, scope = 'openid', redirectUri, extra = {} }) {
  const verifier = oauth.generateRandomCodeVerifier();
  const challenge = await oauth.calculatePKCECodeChallenge(verifier);
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint);
  const p = { response_type: 'code', client_id: client.client_id, redirect_uri: redirectUri, scope, state, nonce, code_challenge: challenge, code_challenge_method: 'S256', ...extra };
  for (const [k, v] of Object.entries(p)) url.searchParams.set(k, v);
  const page = await fetch(url, { redirect: 'manual' });
  const html = await page.text();
  if (page.status !== 200) throw new Error(`authorize: ${page.status} ${html.slice(0, 200)}`);
  const cookies = cookiesOf(page);
  const form = { ...hiddenFields(html), username, password };
  const action = new URL((html.match(/<form[^>]*action="([^"]*)"/i) || [])[1] || url.pathname, url);
  const res = await fetch(action, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join('; '),
    },
    body: new URLSearchParams(form).toString(),
  });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) throw new Error(`login: ${res.status} ${(await res.text()).slice(0, 300)}`);
  return { location: new URL(location), verifier, state, nonce, cookies: { ...cookies, ...cookiesOf(res) } };
}

// Full flow: returns the processed token response (access_token, refresh_token, id_token ...).
export async function codeFlow(as, client, opts) {
  const { location, verifier, state, nonce } = await login(as, client, opts);
  const params = oauth.validateAuthResponse(as, clientOf(client), location, state);
  const res = await oauth.authorizationCodeGrantRequest(as, clientOf(client), authOf(client), params, opts.redirectUri, verifier, insecure);
  return oauth.processAuthorizationCodeResponse(as, clientOf(client), res, { expectedNonce: nonce, requireIdToken: (opts.scope || 'openid').split(' ').includes('openid') });
}
