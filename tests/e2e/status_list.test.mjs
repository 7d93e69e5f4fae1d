// Token Status List (draft-ietf-oauth-status-list; Janssen's /status_list): every token has an
// index, a revocation sets its bit, the list is served signed (statuslist+jwt) or as JSON.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { createPublicKey, verify } from 'node:crypto';
import { startServer, basic } from './lib/server.mjs';
import { discover, introspect, clientCredentials, revoke } from './lib/oauth.mjs';
import { codeFlow } from './lib/flow.mjs';

const REDIRECT = 'http://127.0.0.1:9/cb';
let server, as, app, rs;
before(async () => {
  server = await startServer();
  as = await discover(server);
  await server.createUser('erin', 'erin password 12');
  app = await server.createClient({ redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], scope: 'openid offline_access' });
  rs = await server.createClient({ grant_types: ['client_credentials'] });
});
after(async () => server.cleanup());

const b64 = (s) => Buffer.from(s, 'base64url');
const jwtParts = (jwt) => jwt.split('.').map((p, i) => (i < 2 ? JSON.parse(b64(p)) : p));

async function listJson() {
  const r = await fetch(as.status_list_endpoint, { headers: { accept: 'application/statuslist+json' } });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^application\/statuslist\+json/);
  return r.json();
}
const bit = (lst, idx) => {
  const bytes = inflateSync(b64(lst));
  return idx < bytes.length * 8 ? (bytes[idx >> 3] >> (idx & 7)) & 1 : 0;
};

test('discovery publishes status_list_endpoint; tokens carry their index', async () => {
  assert.equal(as.status_list_endpoint, `${server.url}/status_list`);
  const t = await clientCredentials(as, rs);
  const i = await introspect(as, rs, t.access_token);
  assert.equal(i.status.status_list.uri, as.status_list_endpoint);
  assert.ok(Number.isInteger(i.status.status_list.idx) && i.status.status_list.idx > 0);
  const u = await codeFlow(as, app, { username: 'erin', password: 'erin password 12', scope: 'openid offline_access', redirectUri: REDIRECT });
  const [, claims] = jwtParts(u.id_token);
  assert.equal(claims.status.status_list.uri, as.status_list_endpoint);
  assert.ok(claims.status.status_list.idx > i.status.status_list.idx);
});

test('a revocation sets the bits of every token of the grant, and only those', async () => {
  const u = await codeFlow(as, app, { username: 'erin', password: 'erin password 12', scope: 'openid offline_access', redirectUri: REDIRECT });
  const other = await clientCredentials(as, rs);
  const at = (await introspect(as, rs, u.access_token)).status.status_list.idx;
  const rt = (await introspect(as, rs, u.refresh_token)).status.status_list.idx;
  const id = jwtParts(u.id_token)[1].status.status_list.idx;
  const ot = (await introspect(as, rs, other.access_token)).status.status_list.idx;
  let l = await listJson();
  assert.equal(l.bits, 1);
  for (const i of [at, rt, id, ot]) assert.equal(bit(l.lst, i), 0, `idx ${i} valid before`);
  await revoke(as, app, u.refresh_token);
  l = await listJson();
  for (const i of [at, rt, id]) assert.equal(bit(l.lst, i), 1, `idx ${i} invalid after`);
  assert.equal(bit(l.lst, ot), 0, 'another grant stays valid');
});

test('the Status List Token is an RS256 JWT of typ statuslist+jwt signed with the JWKS key', async () => {
  const r = await fetch(as.status_list_endpoint);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^application\/statuslist\+jwt/);
  const jwt = await r.text();
  const [header, claims, sig] = jwtParts(jwt);
  assert.equal(header.typ, 'statuslist+jwt');
  assert.equal(header.alg, 'RS256');
  const { keys } = await (await fetch(as.jwks_uri)).json();
  const key = createPublicKey({ key: keys.find((k) => k.kid === header.kid), format: 'jwk' });
  const [h, p] = jwt.split('.');
  assert.ok(verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, b64(sig)));
  assert.equal(claims.sub, as.status_list_endpoint);
  assert.ok(claims.ttl > 0 && claims.exp > claims.iat);
  assert.deepEqual(claims.status_list, await listJson());
});

test('STATUS_LIST off: 403, gone from discovery and introspection; on again without restart', async () => {
  const t = await clientCredentials(as, rs);
  const flags = ['REVOKE_TOKEN', 'INTROSPECTION', 'USERINFO', 'DYNAMIC_REGISTRATION', 'GLOBAL_TOKEN_REVOCATION'];
  assert.equal((await server.admin('PATCH', '/config', { featureFlags: flags })).status, 200);
  assert.equal((await fetch(`${server.url}/status_list`)).status, 403);
  const d = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
  assert.equal(d.status_list_endpoint, undefined);
  assert.equal((await introspect(as, rs, t.access_token)).status, undefined);
  assert.equal((await server.admin('PATCH', '/config', { featureFlags: [] })).status, 200);
  assert.equal((await fetch(`${server.url}/status_list`)).status, 200);
});

test('only GET', async () => {
  const r = await fetch(`${server.url}/status_list`, { method: 'POST' });
  assert.equal(r.status, 405);
  assert.equal(r.headers.get('allow'), 'GET');
});
