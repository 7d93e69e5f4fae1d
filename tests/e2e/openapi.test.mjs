// docs/openapi.yaml against the live server. The spec is checked for structural sanity, then a
// real rescindd is driven through every endpoint's success and error cases with raw fetch, and
// every response goes through checkResponse: the path and method are documented, the status is
// documented for that operation, the Content-Type is a documented media type (or there is no
// body where the spec has no content), the JSON body validates against the documented schema,
// and the documented required headers are present and valid. A method the spec does not list
// for a path must be refused with 405 and an Allow header naming exactly the documented methods.
// OPENAPI_SPEC=<file> checks another copy of the spec (used to prove the test can fail).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import YAML from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { startServer, basic } from './lib/server.mjs';
import { discover } from './lib/oauth.mjs';
import { login, hiddenFields, codeFlow } from './lib/flow.mjs';

const SPEC_PATH = process.env.OPENAPI_SPEC || 'docs/openapi.yaml';
const SPEC_ID = 'openapi.json';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const FORM = 'application/x-www-form-urlencoded';
const REDIRECT = 'http://127.0.0.1:9/cb';
const USER = { username: 'alice', password: 'correct horse battery' };
const ORIGIN = 'https://app.example';

const spec = YAML.parse(readFileSync(SPEC_PATH, 'utf8'));

// ---------- the spec as data ----------

function pointer(doc, ref) {
  assert.ok(ref.startsWith('#/'), `only local $refs are used: ${ref}`);
  let node = doc;
  for (const raw of ref.slice(2).split('/')) {
    const part = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(part in node)) return undefined;
    node = node[part];
  }
  return node;
}

// Follows $ref chains of non-schema objects (responses, headers, parameters).
function deref(obj) {
  for (let i = 0; obj && obj.$ref && i < 10; i++) obj = pointer(spec, obj.$ref);
  return obj;
}

function walk(node, fn, at = '#') {
  if (Array.isArray(node)) node.forEach((v, i) => walk(v, fn, `${at}/${i}`));
  else if (node && typeof node === 'object') {
    fn(node, at);
    for (const [k, v] of Object.entries(node)) walk(v, fn, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  }
}

function operations() {
  const out = [];
  for (const [path, item] of Object.entries(spec.paths || {}))
    for (const m of METHODS) if (item[m]) out.push({ path, method: m.toUpperCase(), op: item[m], item });
  return out;
}

// Schemas compile against a copy of the whole document whose local $refs are rebased onto it,
// so that an inline schema and a component resolve their $refs the same way.
function rebase(node) {
  if (Array.isArray(node)) return node.map(rebase);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#') ? SPEC_ID + v : rebase(v);
  return out;
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addFormat('password', true);
ajv.addSchema(rebase(spec), SPEC_ID);
const compiled = new Map();
function validator(schema) {
  if (!compiled.has(schema)) compiled.set(schema, ajv.compile(rebase(schema)));
  return compiled.get(schema);
}
function assertValid(schema, value, what) {
  const v = validator(schema);
  assert.ok(v(value), `${what} does not match the spec: ${ajv.errorsText(v.errors)}\n${JSON.stringify(value).slice(0, 600)}`);
}

const mediaOf = (ct) => (ct || '').split(';')[0].trim().toLowerCase();
const isJson = (media) => media === 'application/json' || media.endsWith('+json');
const documentedMethods = (item) => METHODS.filter((m) => item[m] && m !== 'options').map((m) => m.toUpperCase()).sort();
const allowOf = (headers) => (headers.get('allow') || '').split(',').map((s) => s.trim()).filter(Boolean).sort();

// ---------- checkResponse ----------

const exercised = new Set(); // "METHOD template status"

// Checks one live response against the spec and returns it read: { status, headers, text, json }.
async function checkResponse(method, template, res) {
  const text = await res.text();
  const status = String(res.status);
  const where = `${method} ${template} → ${status}`;
  const item = spec.paths[template];
  assert.ok(item, `${template} is not a path of the spec`);
  let op = item[method.toLowerCase()];
  const undocumented = !op;
  if (undocumented) {
    // not a documented operation: only a 405 naming exactly the documented methods is right
    assert.equal(status, '405', `${method} ${template} is not in the spec but the server answered ${status}: ${text.slice(0, 200)}`);
    op = METHODS.map((m) => item[m]).find((o) => o?.responses?.['405']);
    assert.ok(op, `${template}: no operation documents 405`);
  }
  assert.ok(op.responses[status], `${where} is not documented (documented: ${Object.keys(op.responses).join(', ')}): ${text.slice(0, 300)}`);
  const resp = deref(op.responses[status]);
  if (status === '405') assert.deepEqual(allowOf(res.headers), documentedMethods(item), `${where}: Allow must list the documented methods`);
  assert.match(res.headers.get('x-request-id') || '', /^[0-9a-f]{16}$/, `${where}: X-Request-Id`);

  let json;
  const ct = res.headers.get('content-type');
  if (!resp.content || !Object.keys(resp.content).length) {
    assert.equal(text, '', `${where}: the spec documents no body`);
    assert.equal(ct, null, `${where}: no body, so no Content-Type`);
  } else if (resp['x-empty-when'] && text === '' && ct === null) {
    // the spec documents a case of this response without a body (x-empty-when says which)
  } else {
    const media = mediaOf(ct);
    const key = Object.keys(resp.content).find((k) => mediaOf(k) === media);
    assert.ok(key, `${where}: Content-Type ${ct} is not documented (${Object.keys(resp.content).join(', ')})`);
    const schema = resp.content[key].schema;
    if (isJson(media)) {
      assert.doesNotThrow(() => (json = JSON.parse(text)), `${where}: body is not JSON: ${text.slice(0, 200)}`);
      if (schema) assertValid(schema, json, `${where} body`);
    } else if (schema) {
      assertValid(schema, text, `${where} body`);
    }
  }
  for (const [name, h0] of Object.entries(resp.headers || {})) {
    const h = deref(h0);
    const value = res.headers.get(name);
    if (h.required) assert.ok(value !== null, `${where}: required header ${name} is missing`);
    if (value !== null && h.schema) assertValid(h.schema, value, `${where} header ${name}`);
  }
  exercised.add(`${method} ${template} ${status}`);
  // a 405 for another method is the 405 every operation of the path documents
  if (undocumented) for (const m of documentedMethods(item)) exercised.add(`${m} ${template} 405`);
  return { status: res.status, headers: res.headers, text, json };
}

// ---------- requests ----------

let server, as;

function send(method, path, { form, json, body, type, auth, headers = {} } = {}) {
  if (form !== undefined) {
    body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
    type ??= FORM;
  } else if (json !== undefined) {
    body = typeof json === 'string' ? json : JSON.stringify(json);
    type ??= 'application/json';
  }
  return fetch(server.url + path, {
    method,
    redirect: 'manual',
    headers: { ...(type ? { 'content-type': type } : {}), ...(auth ? { authorization: auth } : {}), ...headers },
    body,
  });
}

// One case: sends the request, checks the response against the spec, asserts the status.
async function expect(status, method, template, opts = {}) {
  const r = await checkResponse(method, template, await send(method, opts.path || template, opts));
  assert.equal(r.status, status, `${method} ${opts.path || template}: expected ${status}, got ${r.status} ${r.text.slice(0, 300)}`);
  return r;
}

const admin = () => `Bearer ${server.adminToken}`;
const adminCall = (status, method, template, opts = {}) => expect(status, method, template, { auth: admin(), ...opts });
const patchConfig = (patch) => adminCall(200, 'PATCH', '/admin/config', { json: patch });
const basicOf = (c) => basic(c.client_id, c.client_secret);

// The server may not write past the first byte of any file while fn runs (RLIMIT_FSIZE):
// every store commit fails, reads still work.
async function withReadOnlyStore(fn) {
  const pid = String(server.proc.pid);
  execFileSync('prlimit', ['--pid', pid, '--fsize=1:unlimited']);
  try {
    return await fn();
  } finally {
    execFileSync('prlimit', ['--pid', pid, '--fsize=unlimited:unlimited']);
  }
}

function cookieHeader(res) {
  return (res.headers.getSetCookie?.() || []).map((c) => c.split(';')[0]).join('; ');
}

// ---------- the spec itself ----------

describe('docs/openapi.yaml is a sane OpenAPI 3.1 document', () => {
  test('version, server, security schemes', () => {
    assert.match(String(spec.openapi), /^3\.1\.\d+$/);
    assert.ok(spec.info?.title && spec.info?.version);
    assert.equal(spec.servers?.[0]?.url, 'http://127.0.0.1:8080');
    for (const s of ['clientSecretBasic', 'bearer', 'adminBearer', 'registrationAccessToken'])
      assert.ok(spec.components.securitySchemes[s], `security scheme ${s}`);
    assert.equal(spec.components.securitySchemes.clientSecretBasic.scheme, 'basic');
  });

  test('every $ref resolves', () => {
    const bad = [];
    walk(spec, (node, at) => {
      if (typeof node.$ref === 'string' && pointer(spec, node.$ref) === undefined) bad.push(`${at}: ${node.$ref}`);
    });
    assert.deepEqual(bad, []);
  });

  test('every operation has a unique operationId, a summary, a description and documented responses', () => {
    const ids = new Set();
    for (const { path, method, op, item } of operations()) {
      const w = `${method} ${path}`;
      assert.ok(op.operationId, `${w}: operationId`);
      assert.ok(!ids.has(op.operationId), `${w}: duplicate operationId ${op.operationId}`);
      ids.add(op.operationId);
      assert.ok(op.summary && op.description, `${w}: summary and description`);
      assert.ok(op.responses && Object.keys(op.responses).length, `${w}: responses`);
      for (const [code, r] of Object.entries(op.responses)) {
        assert.match(code, /^[1-5][0-9][0-9]$/, `${w}: response code ${code}`);
        assert.ok(deref(r)?.description, `${w} ${code}: description`);
      }
      const params = [...(item.parameters || []), ...(op.parameters || [])].map(deref);
      for (const [, name] of path.matchAll(/\{([^}]+)\}/g))
        assert.ok(params.some((p) => p.in === 'path' && p.name === name && p.required), `${w}: path parameter ${name}`);
    }
  });

  test('every schema compiles, and the error object is the RFC 6749 §5.2 one', () => {
    for (const name of Object.keys(spec.components.schemas)) assert.doesNotThrow(() => validator({ $ref: `#/components/schemas/${name}` }), name);
    walk(spec.paths, (node, at) => {
      if (node.schema && typeof node.schema === 'object') assert.doesNotThrow(() => validator(node.schema), at);
    });
    const err = { $ref: '#/components/schemas/OAuthError' };
    assert.ok(validator(err)({ error: 'invalid_request', error_description: 'x' }));
    assert.ok(validator(err)({ error: 'invalid_request', reason: 'r' }));
    assert.ok(!validator(err)({ error: 'invalid_request', extra: 1 }), 'additionalProperties false');
    assert.ok(!validator(err)({ error_description: 'x' }), 'error is required');
  });

  test('/revoke is complete', () => {
    const post = spec.paths['/revoke'].post;
    for (const c of ['200', '400', '401', '403', '405', '413', '414', '431', '503']) assert.ok(post.responses[c], c);
    assert.equal(deref(post.responses['200']).content, undefined, '200 has no body');
    const h = deref(post.responses['200']).headers;
    assert.ok(deref(h['Cache-Control']).required && deref(h.Pragma).required);
    assert.ok(deref(deref(post.responses['405']).headers.Allow).required);
    assert.ok(deref(deref(post.responses['503']).headers['Retry-After']).required);
    const body = deref(post.requestBody).content[FORM].schema;
    const s = pointer(spec, body.$ref);
    assert.deepEqual(s.required, ['token']);
    for (const p of ['token', 'token_type_hint', 'client_id', 'client_secret']) assert.ok(s.properties[p], p);
    assert.ok(spec.paths['/revoke'].options.responses['204']);
  });
});

// ---------- the live server ----------

describe('live responses match docs/openapi.yaml', () => {
  let cc, post, web, pub, cors;
  let userTokens; // { access_token, refresh_token, id_token } of alice at web

  before(async () => {
    server = await startServer();
    as = await discover(server);
    await server.createUser(USER.username, USER.password, { email: 'alice@example.com', name: 'Alice' });
    cc = await server.createClient({ grant_types: ['client_credentials'], scope: 'read write', client_name: 'machine' });
    post = await server.createClient({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post' });
    web = await server.createClient({ redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], scope: 'openid profile email offline_access' });
    pub = await server.createClient({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
    cors = await server.createClient({ grant_types: ['client_credentials'], authorized_origins: [ORIGIN] });
  });
  after(async () => server.cleanup());

  const ccToken = async (c = cc) => {
    const creds = c.token_endpoint_auth_method === 'client_secret_post' ? { form: { grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret } } : { form: { grant_type: 'client_credentials' }, auth: basicOf(c) };
    return (await expect(200, 'POST', '/token', creds)).json.access_token;
  };

  test('/authorize: login page, redirects, HTML errors, CSRF, JSON errors, 503', async () => {
    const pkce = { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGEIhMkdGM', code_challenge_method: 'S256' };
    const q = (p) => '/authorize?' + new URLSearchParams(p).toString();
    const good = { response_type: 'code', client_id: web.client_id, redirect_uri: REDIRECT, scope: 'openid profile', state: 's1', ...pkce };
    const page = await expect(200, 'GET', '/authorize', { path: q(good) });
    await expect(302, 'GET', '/authorize', { path: q({ ...good, response_type: 'token' }) });
    // a head of about 11.5 KB (under the 13 KiB limit) whose redirect would echo a 4 KB state:
    // no room left for the redirect's headers
    await expect(431, 'GET', '/authorize', {
      path: q({ ...good, response_type: 'token', state: '~ '.repeat(1024) }),
      headers: { 'x-pad': 'a'.repeat(7000) },
    });
    // 300 query parameters: more records than libmicrohttpd's memory for the request holds
    const many = await expect(414, 'GET', '/authorize', { path: q({ ...good, ...Object.fromEntries(Array.from({ length: 300 }, (_, i) => ['x' + i, '1'])) }) });
    assert.equal(many.json.error, 'invalid_request');
    await expect(302, 'GET', '/authorize', { path: q({ ...good, prompt: 'none' }) });
    await expect(400, 'GET', '/authorize', { path: q({ ...good, client_id: 'no-such-client' }) });
    await expect(400, 'GET', '/authorize', { path: q({ ...good, redirect_uri: 'https://evil.example/cb' }) });
    await expect(405, 'PUT', '/authorize');

    const cookie = (page.headers.getSetCookie?.() || []).map((c) => c.split(';')[0]).join('; ');
    const fields = hiddenFields(page.text);
    assert.ok(fields.csrf_token && cookie.includes('rescind_csrf='));
    const loginForm = (extra) => ({ form: { ...fields, username: USER.username, password: USER.password, ...extra }, headers: { cookie } });
    await expect(200, 'POST', '/authorize', loginForm({ password: 'wrong password' }));
    await expect(403, 'POST', '/authorize', loginForm({ csrf_token: 'forged' }));
    const html400 = await expect(400, 'POST', '/authorize', loginForm({ client_id: 'no-such-client' }));
    assert.match(html400.headers.get('content-type'), /text\/html/);
    const json400 = await expect(400, 'POST', '/authorize', { body: 'a=1', type: 'text/plain', headers: { cookie } });
    assert.equal(json400.json.error, 'invalid_request');
    await expect(400, 'POST', '/authorize', { form: 'client_id=a&client_id=b', headers: { cookie } });
    await expect(413, 'POST', '/authorize', { form: { x: 'y'.repeat(70000) } });

    const unavailable = await withReadOnlyStore(() => send('POST', '/authorize', loginForm({})));
    const r503 = await checkResponse('POST', '/authorize', unavailable);
    assert.equal(r503.status, 503);

    const ok = await expect(302, 'POST', '/authorize', loginForm({}));
    const loc = new URL(ok.headers.get('location'));
    assert.ok(loc.searchParams.get('code') && loc.searchParams.get('iss') === server.url);
    // with the session cookie the code comes at once
    const again = await expect(302, 'GET', '/authorize', { path: q(good), headers: { cookie: cookieHeader({ headers: ok.headers }) } });
    assert.ok(new URL(again.headers.get('location')).searchParams.get('code'));
  });

  test('/token: authorization_code, refresh_token, client_credentials and every error', async () => {
    const { location, verifier } = await login(as, web, { ...USER, scope: 'openid profile email offline_access', redirectUri: REDIRECT });
    const code = location.searchParams.get('code');
    let r = await expect(200, 'POST', '/token', { form: { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, auth: basicOf(web) });
    assert.ok(r.json.refresh_token && r.json.id_token);
    r = await expect(200, 'POST', '/token', { form: { grant_type: 'refresh_token', refresh_token: r.json.refresh_token }, auth: basicOf(web) });
    userTokens = r.json;
    await expect(200, 'POST', '/token', { form: { grant_type: 'client_credentials', scope: 'read' }, auth: basicOf(cc) });
    await expect(200, 'POST', '/token', { form: { grant_type: 'client_credentials', client_id: post.client_id, client_secret: post.client_secret } });

    const e400 = async (form, error, opts = {}) => assert.equal((await expect(400, 'POST', '/token', { form, auth: basicOf(opts.c || cc), ...opts })).json.error, error);
    await e400({}, 'invalid_request');
    await e400({ grant_type: 'password' }, 'unsupported_grant_type');
    await e400({ grant_type: 'authorization_code', code: 'bogus' }, 'unauthorized_client');
    await e400({ grant_type: 'authorization_code', code: 'bogus', redirect_uri: REDIRECT }, 'invalid_grant', { c: web });
    // a second code: a wrong PKCE verifier (the first code is left alone: replaying it would revoke userTokens' grant)
    const second = await login(as, web, { ...USER, scope: 'openid', redirectUri: REDIRECT });
    await e400({ grant_type: 'authorization_code', code: second.location.searchParams.get('code'), redirect_uri: REDIRECT, code_verifier: 'x'.repeat(43) }, 'invalid_grant', { c: web });
    await e400({ grant_type: 'client_credentials', scope: 'admin' }, 'invalid_scope');
    await e400('grant_type=client_credentials&grant_type=client_credentials', 'invalid_request');
    await e400({ grant_type: 'client_credentials', client_secret: 'x' }, 'invalid_request');
    await expect(400, 'POST', '/token', { body: '{}', type: 'application/json', auth: basicOf(cc) });

    r = await expect(401, 'POST', '/token', { form: { grant_type: 'client_credentials' }, auth: basic(cc.client_id, 'wrong') });
    assert.match(r.headers.get('www-authenticate'), /^Basic /, 'Basic was used: WWW-Authenticate');
    r = await expect(401, 'POST', '/token', { form: { grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'x' } });
    assert.equal(r.headers.get('www-authenticate'), null);
    await expect(405, 'GET', '/token');
    await expect(413, 'POST', '/token', { form: { x: 'y'.repeat(70000) }, auth: basicOf(cc) });
    r = await withReadOnlyStore(() => send('POST', '/token', { form: { grant_type: 'client_credentials' }, auth: basicOf(cc) }));
    assert.equal((await checkResponse('POST', '/token', r)).status, 503);
    await expect(204, 'OPTIONS', '/token', { headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
    await expect(405, 'OPTIONS', '/token');
  });

  test('/introspect: active, inactive, errors', async () => {
    const at = await ccToken();
    let r = await expect(200, 'POST', '/introspect', { form: { token: at }, auth: basicOf(cc) });
    assert.equal(r.json.active, true);
    r = await expect(200, 'POST', '/introspect', { form: { token: userTokens.refresh_token }, auth: basicOf(cc) });
    assert.equal(r.json.token_type, 'refresh_token');
    r = await expect(200, 'POST', '/introspect', { form: { token: 'not-a-token' }, auth: basicOf(cc) });
    assert.deepEqual(r.json, { active: false });
    await expect(200, 'POST', '/introspect', { form: { token: at, client_id: post.client_id, client_secret: post.client_secret } });
    await expect(400, 'POST', '/introspect', { form: {}, auth: basicOf(cc) });
    await expect(400, 'POST', '/introspect', { form: 'token=a&token=b', auth: basicOf(cc) });
    await expect(401, 'POST', '/introspect', { form: { token: at }, auth: basic(cc.client_id, 'wrong') });
    // a public client learns nothing of another client's token
    r = await expect(200, 'POST', '/introspect', { form: { token: at, client_id: pub.client_id } });
    assert.deepEqual(r.json, { active: false });
    await expect(405, 'GET', '/introspect');
    await expect(413, 'POST', '/introspect', { form: { token: 'y'.repeat(70000) }, auth: basicOf(cc) });
    await expect(204, 'OPTIONS', '/introspect', { headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
    await expect(405, 'OPTIONS', '/introspect');
  });

  test('/revoke: 200, 400 for each cause, 401, 405, 413, 414, 431, OPTIONS', async () => {
    const auth = basicOf(cc);
    let r = await expect(200, 'POST', '/revoke', { form: { token: await ccToken(), token_type_hint: 'access_token' }, auth });
    assert.equal(r.headers.get('cache-control'), 'no-store');
    await expect(200, 'POST', '/revoke', { form: { token: 'unknown-token', token_type_hint: 'refresh_token' }, auth });
    await expect(200, 'POST', '/revoke', { form: { token: await ccToken(), token_type_hint: 'something-else' }, auth });
    await expect(200, 'POST', '/revoke', { form: { token: 'all', token_type_hint: 'all' }, auth });
    await expect(200, 'POST', '/revoke', { form: { token: await ccToken(post), client_id: post.client_id, client_secret: post.client_secret } });

    const bad = async (opts, why) => {
      const x = await expect(400, 'POST', '/revoke', { auth, ...opts });
      assert.equal(x.json.error, 'invalid_request', why);
      assert.equal(x.json.reason, undefined, 'reason only when errorReasonEnabled');
    };
    await bad({ form: {} }, 'missing token');
    await bad({ form: { token: '   ' } }, 'blank token');
    await bad({ body: JSON.stringify({ token: 'x' }), type: 'application/json' }, 'wrong content type');
    await bad({ form: 'token=a&token=b' }, 'repeated parameter');
    await bad({ form: { token: userTokens.access_token } }, "another client's token");
    await bad({ form: { token: 'x', client_secret: cc.client_secret } }, 'Basic and client_secret');
    r = await expect(431, 'POST', '/revoke', { form: { token: 'x' }, auth, headers: { 'x-pad': 'a'.repeat(14000) } });
    assert.equal(r.json.error, 'invalid_request');
    r = await expect(414, 'POST', '/revoke', { path: '/revoke?' + 'a=1&'.repeat(250), form: { token: 'x' }, auth });
    assert.equal(r.json.error, 'invalid_request');
    // a public client asking to revoke all, with the property on: unauthorized_client (R30)
    await patchConfig({ allowAllValueForRevokeEndpoint: true });
    try {
      r = await expect(400, 'POST', '/revoke', { form: { token: 'all', client_id: pub.client_id } });
      assert.equal(r.json.error, 'unauthorized_client');
    } finally {
      await patchConfig({ allowAllValueForRevokeEndpoint: false });
    }

    r = await expect(401, 'POST', '/revoke', { form: { token: 'x' }, auth: basic(cc.client_id, 'wrong') });
    assert.match(r.headers.get('www-authenticate'), /^Basic realm=/);
    r = await expect(401, 'POST', '/revoke', { form: { token: 'x' } });
    assert.equal(r.headers.get('www-authenticate'), null, 'no Basic, no challenge');
    await expect(401, 'POST', '/revoke', { form: { token: 'x', client_id: 'nobody' } });
    await expect(405, 'GET', '/revoke');
    await expect(405, 'PUT', '/revoke', { form: { token: 'x' }, auth });
    await expect(413, 'POST', '/revoke', { form: { token: 'y'.repeat(70000) }, auth });

    r = await expect(204, 'OPTIONS', '/revoke', { headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
    assert.equal(r.headers.get('access-control-allow-origin'), ORIGIN, 'a registered origin');
    r = await expect(204, 'OPTIONS', '/revoke', { headers: { origin: 'https://unknown.example', 'access-control-request-method': 'POST' } });
    assert.equal(r.headers.get('access-control-allow-origin'), null);
    await expect(405, 'OPTIONS', '/revoke');
  });

  test('/revoke 403 while REVOKE_TOKEN is off (and reason with errorReasonEnabled), then on again', async () => {
    const at = await ccToken();
    await patchConfig({ featureFlags: ['INTROSPECTION'] });
    try {
      let r = await expect(403, 'POST', '/revoke', { form: { token: at }, auth: basicOf(cc) });
      assert.equal(r.json.error, 'access_denied');
      await patchConfig({ errorReasonEnabled: true });
      r = await expect(403, 'POST', '/revoke', { form: { token: at }, auth: basicOf(cc) });
      assert.equal(r.json.reason, 'Feature flag is disabled on server.');
      r = await expect(401, 'POST', '/revoke', { form: { token: at }, auth: basic(cc.client_id, 'wrong') });
      assert.ok(r.json.reason, '401 before 403, with a reason');
    } finally {
      await patchConfig({ featureFlags: [], errorReasonEnabled: null });
    }
    const r = await expect(200, 'POST', '/introspect', { form: { token: at }, auth: basicOf(cc) });
    assert.equal(r.json.active, true, 'the refused revocation changed nothing');
    await expect(200, 'POST', '/revoke', { form: { token: at }, auth: basicOf(cc) });
  });

  test('/status_list: JWT and JSON forms, 405, 403 while STATUS_LIST is off', async () => {
    await expect(200, 'GET', '/status_list');
    await expect(200, 'GET', '/status_list', { headers: { accept: 'application/statuslist+json' } });
    await expect(405, 'POST', '/status_list');
    await patchConfig({ featureFlags: ['REVOKE_TOKEN', 'INTROSPECTION', 'USERINFO', 'DYNAMIC_REGISTRATION', 'GLOBAL_TOKEN_REVOCATION'] });
    await expect(403, 'GET', '/status_list');
    await patchConfig({ featureFlags: [] });
  });

  test('/global-token-revocation: 204, 400, 401, 403, 405, 413, 503', async () => {
    const idp = await server.createClient({ grant_types: ['client_credentials'], scope: 'global_token_revocation' });
    await server.createUser('dave', 'dave password 12');
    await codeFlow(as, web, { username: 'dave', password: 'dave password 12', scope: 'openid', redirectUri: REDIRECT });
    const body = { sub_id: { format: 'uid', id: 'dave' } };
    // dave has a grant: revoking it needs a commit, which fails
    const res = await withReadOnlyStore(() => send('POST', '/global-token-revocation', { json: body, auth: basicOf(idp) }));
    assert.equal((await checkResponse('POST', '/global-token-revocation', res)).status, 503);
    await expect(204, 'POST', '/global-token-revocation', { json: body, auth: basicOf(idp) });
    await expect(204, 'POST', '/global-token-revocation', { json: { sub_id: { format: 'mail', id: 'nobody@example.com' } }, auth: basicOf(idp) });
    await expect(400, 'POST', '/global-token-revocation', { json: { sub_id: { format: 'phone', id: '1' } }, auth: basicOf(idp) });
    await expect(400, 'POST', '/global-token-revocation', { form: { x: 'y' }, auth: basicOf(idp) });
    await expect(401, 'POST', '/global-token-revocation', { json: body, auth: basic(idp.client_id, 'wrong') });
    await expect(403, 'POST', '/global-token-revocation', { json: body, auth: basicOf(cc) });
    await expect(405, 'GET', '/global-token-revocation');
    await expect(413, 'POST', '/global-token-revocation', { json: { x: 'y'.repeat(70000) }, auth: basicOf(idp) });
  });

  test('/revoke 503 with Retry-After when the store cannot commit', async () => {
    const at = await ccToken();
    const res = await withReadOnlyStore(() => send('POST', '/revoke', { form: { token: at }, auth: basicOf(cc) }));
    const r = await checkResponse('POST', '/revoke', res);
    assert.equal(r.status, 503);
    assert.equal(r.json.error, 'temporarily_unavailable');
    assert.equal((await expect(200, 'POST', '/introspect', { form: { token: at }, auth: basicOf(cc) })).json.active, true);
  });

  test('/userinfo: GET and POST, 400, 401, 403 (scope and feature), 405, 413, OPTIONS', async () => {
    const bearer = `Bearer ${userTokens.access_token}`;
    let r = await expect(200, 'GET', '/userinfo', { auth: bearer });
    assert.equal(r.json.email, 'alice@example.com');
    await expect(200, 'POST', '/userinfo', { auth: bearer });
    await expect(200, 'POST', '/userinfo', { form: { access_token: userTokens.access_token } });
    await expect(400, 'POST', '/userinfo', { body: 'access_token=x', type: 'text/plain' });
    r = await expect(401, 'GET', '/userinfo');
    assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="rescind"');
    assert.equal(r.text, ''); // RFC 6750 §3.1: no error information without authentication
    r = await expect(401, 'GET', '/userinfo', { auth: 'Bearer not-a-token' });
    assert.match(r.headers.get('www-authenticate'), /error="invalid_token"/);
    await expect(401, 'POST', '/userinfo', { form: { access_token: 'not-a-token' } });
    r = await expect(403, 'GET', '/userinfo', { auth: `Bearer ${await ccToken()}` });
    assert.equal(r.json.error, 'insufficient_scope');
    await expect(405, 'PUT', '/userinfo');
    await expect(413, 'POST', '/userinfo', { form: { access_token: 'y'.repeat(70000) } });
    await expect(204, 'OPTIONS', '/userinfo', { headers: { origin: ORIGIN, 'access-control-request-method': 'GET' } });
    await expect(405, 'OPTIONS', '/userinfo');
  });

  test('feature flags: INTROSPECTION and USERINFO off give 403, features API round trip', async () => {
    let r = await adminCall(200, 'GET', '/admin/features');
    assert.ok(r.json.features.every((f) => f.enabled));
    r = await adminCall(200, 'POST', '/admin/features/{name}/disable', { path: '/admin/features/INTROSPECTION/disable' });
    assert.equal(r.json.features.find((f) => f.name === 'INTROSPECTION').enabled, false);
    await adminCall(200, 'POST', '/admin/features/{name}/disable', { path: '/admin/features/userinfo/disable' });
    try {
      r = await expect(403, 'POST', '/introspect', { form: { token: 'x' }, auth: basicOf(cc) });
      assert.equal(r.json.error, 'access_denied');
      r = await expect(403, 'GET', '/userinfo', { auth: `Bearer ${userTokens.access_token}` });
      assert.equal(r.json.error, 'access_denied');
      await expect(403, 'POST', '/userinfo', { auth: `Bearer ${userTokens.access_token}` });
    } finally {
      await adminCall(200, 'POST', '/admin/features/{name}/enable', { path: '/admin/features/INTROSPECTION/enable' });
      await adminCall(200, 'POST', '/admin/features/{name}/enable', { path: '/admin/features/USERINFO/enable' });
    }
    await adminCall(404, 'POST', '/admin/features/{name}/enable', { path: '/admin/features/NO_SUCH_FLAG/enable' });
    await adminCall(404, 'POST', '/admin/features/{name}/disable', { path: '/admin/features/NO_SUCH_FLAG/disable' });
    await adminCall(405, 'GET', '/admin/features/{name}/enable', { path: '/admin/features/USERINFO/enable' });
    await adminCall(405, 'GET', '/admin/features/{name}/disable', { path: '/admin/features/USERINFO/disable' });
    await adminCall(405, 'POST', '/admin/features');
    await patchConfig({ featureFlags: ['REVOKE_TOKEN'] });
    try {
      await adminCall(409, 'POST', '/admin/features/{name}/disable', { path: '/admin/features/REVOKE_TOKEN/disable' });
    } finally {
      await patchConfig({ featureFlags: null });
    }
    r = await adminCall(200, 'GET', '/admin/features');
    assert.ok(r.json.features.every((f) => f.enabled));
  });

  test('/jwks, discovery documents, /health, /metrics', async () => {
    const k = await expect(200, 'GET', '/jwks');
    assert.equal(k.json.keys[0].d, undefined);
    await expect(405, 'POST', '/jwks');
    let r = await expect(204, 'OPTIONS', '/jwks', { headers: { origin: 'https://anyone.example', 'access-control-request-method': 'GET' } });
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    await expect(405, 'OPTIONS', '/jwks');
    for (const p of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      r = await expect(200, 'GET', p);
      assert.equal(r.json.issuer, server.url);
      assert.equal(r.json.revocation_endpoint, `${server.url}/revoke`);
      await expect(405, 'POST', p);
      await expect(204, 'OPTIONS', p, { headers: { origin: 'https://anyone.example', 'access-control-request-method': 'GET' } });
      await expect(405, 'OPTIONS', p);
    }
    r = await expect(200, 'GET', '/health');
    assert.equal(r.json.status, 'ok');
    await expect(405, 'POST', '/health');
    r = await expect(200, 'GET', '/metrics');
    assert.match(r.text, /rescind_http_requests_total\{endpoint="revoke",status="200"\}/);
    await expect(405, 'POST', '/metrics');
  });

  test('discovery documents validate with every optional member (mtls alias) and without the disabled ones', async () => {
    await patchConfig({ mtlsTokenRevocationEndpoint: 'https://mtls.example/revoke', dynamicRegistrationEnabled: false, featureFlags: ['USERINFO'] });
    try {
      const r = await expect(200, 'GET', '/.well-known/openid-configuration');
      assert.equal(r.json.mtls_endpoint_aliases, undefined, 'no revocation, so no alias');
      assert.equal(r.json.revocation_endpoint, undefined);
      assert.equal(r.json.registration_endpoint, undefined);
      await patchConfig({ featureFlags: null });
      const r2 = await expect(200, 'GET', '/.well-known/oauth-authorization-server');
      assert.equal(r2.json.mtls_endpoint_aliases.revocation_endpoint, 'https://mtls.example/revoke');
    } finally {
      await patchConfig({ mtlsTokenRevocationEndpoint: null, dynamicRegistrationEnabled: null, featureFlags: null });
    }
  });

  test('/register and /register/{client_id}: 201, 200, 204, 400, 401, 403, 405, 413', async () => {
    const meta = { redirect_uris: [REDIRECT], client_name: 'dyn', scope: 'openid profile' };
    let r = await expect(201, 'POST', '/register', { json: meta });
    const c = r.json;
    assert.ok(c.client_secret && c.registration_access_token);
    r = await expect(201, 'POST', '/register', { json: { ...meta, token_endpoint_auth_method: 'none' } });
    assert.equal(r.json.client_secret, undefined);
    r = await expect(400, 'POST', '/register', { json: { redirect_uris: ['http://evil.example/cb'] } });
    assert.equal(r.json.error, 'invalid_redirect_uri');
    r = await expect(400, 'POST', '/register', { json: { ...meta, grant_types: ['password'] } });
    assert.equal(r.json.error, 'invalid_client_metadata');
    await expect(400, 'POST', '/register', { json: '[1]' });
    await expect(400, 'POST', '/register', { form: { redirect_uris: REDIRECT } });
    await expect(405, 'GET', '/register');
    await expect(413, 'POST', '/register', { json: { client_name: 'y'.repeat(70000) } });
    await expect(204, 'OPTIONS', '/register', { headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
    await expect(405, 'OPTIONS', '/register');

    const T = '/register/{client_id}';
    const path = `/register/${c.client_id}`;
    const rat = `Bearer ${c.registration_access_token}`;
    r = await expect(200, 'GET', T, { path, auth: rat });
    assert.equal(r.json.registration_client_uri, `${server.url}${path}`);
    r = await expect(401, 'GET', T, { path });
    assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="rescind"');
    await expect(401, 'GET', T, { path, auth: 'Bearer wrong' });
    await expect(401, 'GET', T, { path: '/register/no-such-client', auth: rat });
    await expect(200, 'PUT', T, { path, auth: rat, json: { ...meta, client_id: c.client_id, client_secret: c.client_secret, client_name: 'renamed' } });
    r = await expect(400, 'PUT', T, { path, auth: rat, json: meta });
    assert.equal(r.json.error, 'invalid_client_metadata');
    await expect(400, 'PUT', T, { path, auth: rat, json: { ...meta, client_id: c.client_id, client_secret: 'chosen' } });
    await expect(400, 'PUT', T, { path, auth: rat, body: 'x', type: 'text/plain' });
    await expect(401, 'PUT', T, { path, auth: 'Bearer wrong', json: { ...meta, client_id: c.client_id } });
    await expect(413, 'PUT', T, { path, auth: rat, json: { client_name: 'y'.repeat(70000) } });
    await expect(405, 'POST', T, { path, auth: rat });
    await expect(405, 'PATCH', T, { path, auth: rat });

    await patchConfig({ dynamicRegistrationEnabled: false });
    try {
      await expect(403, 'POST', '/register', { json: meta });
      await expect(403, 'GET', T, { path, auth: rat });
      await expect(403, 'PUT', T, { path, auth: rat, json: { ...meta, client_id: c.client_id } });
      await expect(403, 'DELETE', T, { path, auth: rat });
    } finally {
      await patchConfig({ dynamicRegistrationEnabled: null });
    }
    await patchConfig({ dynamicRegistrationInitialAccessToken: 'initial-access-token-for-tests' });
    try {
      r = await expect(401, 'POST', '/register', { json: meta });
      assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="rescind"');
      r = await expect(401, 'POST', '/register', { json: meta, auth: 'Bearer wrong' });
      assert.match(r.headers.get('www-authenticate'), /error="invalid_token"/);
      await expect(201, 'POST', '/register', { json: meta, auth: 'Bearer initial-access-token-for-tests' });
    } finally {
      await patchConfig({ dynamicRegistrationInitialAccessToken: null });
    }

    await expect(401, 'DELETE', T, { path, auth: 'Bearer wrong' });
    await expect(204, 'DELETE', T, { path, auth: rat });
    await expect(401, 'DELETE', T, { path, auth: rat });
    await expect(401, 'GET', T, { path, auth: rat });
  });

  test('/register 503 when the store cannot commit', async () => {
    const res = await withReadOnlyStore(() => send('POST', '/register', { json: { redirect_uris: [REDIRECT] } }));
    assert.equal((await checkResponse('POST', '/register', res)).status, 503);
  });

  test('admin API: authentication, health, clients', async () => {
    let r = await expect(401, 'GET', '/admin/health');
    assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="rescind-admin"');
    r = await expect(401, 'GET', '/admin/clients', { auth: 'Bearer wrong' });
    assert.match(r.headers.get('www-authenticate'), /error="invalid_token"/);
    await expect(401, 'GET', '/admin/config', { auth: basicOf(cc) });
    await adminCall(200, 'GET', '/admin/health');
    await adminCall(405, 'POST', '/admin/health');

    r = await adminCall(201, 'POST', '/admin/clients', { json: { client_id: 'oapi-client', grant_types: ['client_credentials'], client_name: 'made by admin' } });
    assert.ok(r.json.client_secret);
    r = await adminCall(201, 'POST', '/admin/clients', { json: { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', authorized_origins: [ORIGIN] } });
    assert.equal(r.json.client_secret, undefined);
    await adminCall(409, 'POST', '/admin/clients', { json: { client_id: 'oapi-client', grant_types: ['client_credentials'] } });
    r = await adminCall(400, 'POST', '/admin/clients', { json: { client_id: 'bad id!' } });
    assert.equal(r.json.error, 'invalid_client_metadata');
    r = await adminCall(400, 'POST', '/admin/clients', { json: { redirect_uris: ['not a uri'] } });
    assert.equal(r.json.error, 'invalid_redirect_uri');
    r = await adminCall(400, 'POST', '/admin/clients', { json: 'not json' });
    assert.equal(r.json.error, 'invalid_request');
    await adminCall(400, 'POST', '/admin/clients', { form: { client_id: 'x' } });
    await adminCall(413, 'POST', '/admin/clients', { json: { client_name: 'y'.repeat(70000) } });
    await adminCall(405, 'DELETE', '/admin/clients');
    r = await adminCall(200, 'GET', '/admin/clients');
    assert.ok(r.json.clients.some((x) => x.client_id === 'oapi-client'));

    const T = '/admin/clients/{client_id}';
    await adminCall(200, 'GET', T, { path: '/admin/clients/oapi-client' });
    await adminCall(404, 'GET', T, { path: '/admin/clients/no-such-client' });
    await adminCall(405, 'POST', T, { path: '/admin/clients/oapi-client' });
    r = await adminCall(200, 'POST', '/admin/clients/{client_id}/revoke', { path: `/admin/clients/${web.client_id}/revoke` });
    assert.ok(r.json.grants >= 1, 'alice has a grant at web');
    await adminCall(404, 'POST', '/admin/clients/{client_id}/revoke', { path: '/admin/clients/no-such-client/revoke' });
    await adminCall(405, 'GET', '/admin/clients/{client_id}/revoke', { path: '/admin/clients/oapi-client/revoke' });
    await adminCall(204, 'DELETE', T, { path: '/admin/clients/oapi-client' });
    await adminCall(404, 'DELETE', T, { path: '/admin/clients/oapi-client' });
  });

  test('admin API: every operation answers 401 without the admin credential, before looking at the path', async () => {
    for (const { path, method } of operations().filter((o) => o.path.startsWith('/admin/'))) {
      const concrete = path.replace(/\{[^}]+\}/g, 'no-such-thing');
      const json = ['POST', 'PATCH'].includes(method) ? {} : undefined;
      let r = await expect(401, method, path, { path: concrete, json });
      assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="rescind-admin"');
      r = await expect(401, method, path, { path: concrete, json, auth: 'Bearer not-the-admin-credential' });
      assert.equal(r.json.error, 'invalid_token');
    }
  });

  test('admin API: users and audit', async () => {
    let r = await adminCall(201, 'POST', '/admin/users', { json: { username: 'bob', password: 'long enough pw', email: 'bob@example.com' } });
    assert.equal(r.json.name, '');
    await adminCall(409, 'POST', '/admin/users', { json: { username: 'bob', password: 'another password' } });
    await adminCall(400, 'POST', '/admin/users', { json: { username: 'carol', password: 'short' } });
    await adminCall(400, 'POST', '/admin/users', { json: { username: 'carol' } });
    await adminCall(400, 'POST', '/admin/users', { body: 'username=carol', type: FORM });
    await adminCall(413, 'POST', '/admin/users', { json: { username: 'carol', password: 'y'.repeat(70000) } });
    await adminCall(405, 'PUT', '/admin/users');
    r = await adminCall(200, 'GET', '/admin/users');
    assert.ok(r.json.users.some((u) => u.username === 'bob'));
    const T = '/admin/users/{username}';
    await adminCall(200, 'GET', T, { path: '/admin/users/bob' });
    await adminCall(404, 'GET', T, { path: '/admin/users/nobody' });
    await adminCall(405, 'PUT', T, { path: '/admin/users/bob' });
    await adminCall(204, 'DELETE', T, { path: '/admin/users/bob' });
    await adminCall(404, 'DELETE', T, { path: '/admin/users/bob' });

    r = await adminCall(200, 'GET', '/admin/audit', { path: '/admin/audit?limit=1000' });
    assert.ok(r.json.events.some((e) => e.event === 'revoke'));
    await adminCall(200, 'GET', '/admin/audit', { path: `/admin/audit?event=revoke&client_id=${cc.client_id}&since=0&until=99999999999&limit=5` });
    await adminCall(400, 'GET', '/admin/audit', { path: '/admin/audit?limit=0' });
    await adminCall(400, 'GET', '/admin/audit', { path: '/admin/audit?since=yesterday' });
    await adminCall(405, 'POST', '/admin/audit');
  });

  test('admin API: config GET and PATCH (restart_required, errors, 413, 503)', async () => {
    const before = (await adminCall(200, 'GET', '/admin/config')).json;
    assert.equal((await adminCall(200, 'GET', '/admin/config/properties')).json.properties.length, Object.keys(before).length);
    await expect(401, 'GET', '/admin/config/properties');
    await expect(405, 'POST', '/admin/config/properties', { auth: `Bearer ${server.adminToken}` });
    let r = await adminCall(200, 'PATCH', '/admin/config', { json: { workerThreads: 2 } });
    assert.deepEqual(r.json.restart_required, ['workerThreads']);
    r = await adminCall(200, 'PATCH', '/admin/config', { json: { workerThreads: null }, type: 'application/merge-patch+json' });
    await adminCall(400, 'PATCH', '/admin/config', { json: { noSuchProperty: 1 } });
    await adminCall(400, 'PATCH', '/admin/config', { json: { accessTokenLifetime: 0 } });
    await adminCall(400, 'PATCH', '/admin/config', { json: { accessTokenLifetime: 60 }, type: 'text/plain' });
    await adminCall(413, 'PATCH', '/admin/config', { json: { issuer: 'y'.repeat(70000) } });
    await adminCall(405, 'POST', '/admin/config');
    const res = await withReadOnlyStore(() => send('PATCH', '/admin/config', { json: { accessTokenLifetime: 77 }, auth: admin() }));
    assert.equal((await checkResponse('PATCH', '/admin/config', res)).status, 503);
    const res2 = await withReadOnlyStore(() => send('POST', '/admin/clients', { json: { grant_types: ['client_credentials'] }, auth: admin() }));
    assert.equal((await checkResponse('POST', '/admin/clients', res2)).status, 503);
    assert.deepEqual((await adminCall(200, 'GET', '/admin/config')).json, before, 'nothing changed');
  });

  test('store writes failing: every writing operation answers its documented 503 and changes nothing', async () => {
    const dyn = (await expect(201, 'POST', '/register', { json: { redirect_uris: [REDIRECT] } })).json;
    const victim = await server.createClient({ grant_types: ['client_credentials'] });
    const victimToken = await ccToken(victim); // a grant, so that revoking its grants has to write
    const rat = `Bearer ${dyn.registration_access_token}`;
    const T = '/register/{client_id}';
    const path = `/register/${dyn.client_id}`;
    const cases = [
      ['PUT', T, { path, auth: rat, json: { redirect_uris: [REDIRECT], client_id: dyn.client_id, client_name: 'changed' } }],
      ['DELETE', T, { path, auth: rat }],
      ['POST', '/admin/users', { auth: admin(), json: { username: 'zed', password: 'long enough pw' } }],
      ['DELETE', '/admin/users/{username}', { path: `/admin/users/${USER.username}`, auth: admin() }],
      ['DELETE', '/admin/clients/{client_id}', { path: `/admin/clients/${victim.client_id}`, auth: admin() }],
      ['POST', '/admin/clients/{client_id}/revoke', { path: `/admin/clients/${victim.client_id}/revoke`, auth: admin() }],
      ['POST', '/admin/features/{name}/disable', { path: '/admin/features/USERINFO/disable', auth: admin() }],
      ['POST', '/admin/features/{name}/enable', { path: '/admin/features/USERINFO/enable', auth: admin() }],
    ];
    const responses = await withReadOnlyStore(async () => {
      const out = [];
      for (const [method, template, opts] of cases) out.push(await send(method, opts.path || template, opts));
      return out;
    });
    for (let i = 0; i < cases.length; i++) {
      const [method, template] = cases[i];
      const r = await checkResponse(method, template, responses[i]);
      assert.equal(r.status, 503, `${method} ${template}`);
    }
    assert.equal((await expect(200, 'GET', T, { path, auth: rat })).json.client_name, undefined, 'not updated, not deleted');
    await adminCall(404, 'GET', '/admin/users/{username}', { path: '/admin/users/zed' });
    await adminCall(200, 'GET', '/admin/users/{username}', { path: `/admin/users/${USER.username}` });
    await adminCall(200, 'GET', '/admin/clients/{client_id}', { path: `/admin/clients/${victim.client_id}` });
    assert.equal((await expect(200, 'POST', '/introspect', { form: { token: victimToken }, auth: basicOf(cc) })).json.active, true);
    assert.ok((await adminCall(200, 'GET', '/admin/features')).json.features.every((f) => f.enabled));
  });

  test('an unknown path is 404 with the error object', async () => {
    const r = await send('GET', '/no-such-endpoint');
    assert.equal(r.status, 404);
    assert.equal(spec.paths['/no-such-endpoint'], undefined);
    assertValid({ $ref: '#/components/schemas/OAuthError' }, await r.json(), '404 body');
    const a = await send('GET', '/admin/no-such-thing', { auth: admin() });
    assert.equal(a.status, 404);
    assertValid({ $ref: '#/components/schemas/OAuthError' }, await a.json(), 'admin 404 body');
  });

  test('every documented operation was exercised', (t) => {
    const missing = operations().filter(({ path, method }) => ![...exercised].some((e) => e.startsWith(`${method} ${path} `)));
    assert.deepEqual(missing.map(({ method, path }) => `${method} ${path}`), []);
    const untested = [];
    for (const { path, method, op } of operations())
      for (const code of Object.keys(op.responses)) if (!exercised.has(`${method} ${path} ${code}`)) untested.push(`${method} ${path} ${code}`);
    t.diagnostic(`documented responses not produced live (${untested.length}): ${untested.join('; ')}`);
  });
});
