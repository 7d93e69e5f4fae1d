// Starts a real rescindd on a free loopback port with its own temporary data folder,
// waits until /health answers, and gives the tests what first start printed.
// RESCIND_BIN picks the binary (make check uses the AddressSanitizer build).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = process.env.RESCIND_BIN || resolve('build/rescindd');

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function parseFirstStart(out) {
  const m = (re) => (out.match(re) || [])[1];
  return {
    adminCredential: m(/admin credential:\s+(\S+)/),
    clientId: m(/client_id=(\S+)/),
    clientSecret: m(/client_secret=(\S+)/),
    username: m(/username=(\S+)/),
    password: m(/password=(\S+)/),
  };
}

export class Server {
  constructor(opts = {}) {
    this.config = opts.config || null;
    this.dir = opts.dir || mkdtempSync(join(tmpdir(), 'rescind-e2e-'));
    this.ownsDir = !opts.dir;
    this.port = opts.port || 0;
    this.stdout = '';
    this.stderr = '';
    this.proc = null;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  get dbPath() {
    return join(this.dir, 'rescind.db');
  }

  async start() {
    if (!this.port) this.port = await freePort();
    const args = ['--listen', `127.0.0.1:${this.port}`, '--db', this.dbPath];
    if (this.config) {
      const cfgPath = join(this.dir, 'config.json');
      writeFileSync(cfgPath, JSON.stringify(this.config));
      args.push('--config', cfgPath);
    }
    this.stdout = '';
    this.stderr = '';
    this.proc = spawn(BIN, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=1' },
    });
    this.proc.stdout.on('data', (d) => (this.stdout += d));
    this.proc.stderr.on('data', (d) => (this.stderr += d));
    this.exited = new Promise((res) => this.proc.on('exit', (code, signal) => res({ code, signal })));
    const deadline = Date.now() + 15000;
    for (;;) {
      if (this.proc.exitCode !== null) throw new Error(`rescindd exited early:\n${this.stderr}`);
      try {
        const r = await fetch(`${this.url}/health`);
        if (r.ok) break;
      } catch {}
      if (Date.now() > deadline) throw new Error(`rescindd did not come up:\n${this.stderr}`);
      await sleep(50);
    }
    const first = parseFirstStart(this.stdout);
    if (first.adminCredential) this.first = first;
    this.adminToken = readFileSync(join(this.dir, 'admin-credential'), 'utf8').trim();
    return this;
  }

  // Graceful stop (SIGTERM); fails when the sanitizers reported anything.
  async stop() {
    if (!this.proc) return undefined;
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
      const r = await this.exited;
      this.checkSanitizers(); // it died on its own: show why
      return r;
    }
    this.proc.kill('SIGTERM');
    const r = await this.exited;
    this.checkSanitizers();
    return r;
  }

  async kill() {
    if (!this.proc || this.proc.exitCode !== null) return;
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  checkSanitizers() {
    if (/ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/.test(this.stderr)) {
      throw new Error(`sanitizer report from rescindd:\n${this.stderr.slice(-4000)}`);
    }
  }

  async cleanup() {
    await this.stop();
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }

  // Admin API with the credential written at first start.
  async admin(method, path, body) {
    const r = await fetch(`${this.url}/admin${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.adminToken}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    return parsed(r);
  }

  // Creates a client through the admin API; metadata as RFC 7591.
  async createClient(meta) {
    const r = await this.admin('POST', '/clients', meta);
    if (r.status !== 201) throw new Error(`createClient: ${r.status} ${r.text}`);
    return r.json;
  }

  async createUser(username, password, extra = {}) {
    const r = await this.admin('POST', '/users', { username, password, ...extra });
    if (r.status !== 201) throw new Error(`createUser: ${r.status} ${r.text}`);
    return r.json;
  }

  // Raw form POST, for malformed requests no client library would send.
  async form(path, params, { headers = {}, contentType = 'application/x-www-form-urlencoded' } = {}) {
    const body = typeof params === 'string' ? params : new URLSearchParams(params).toString();
    const r = await fetch(`${this.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...headers },
      body,
    });
    return parsed(r);
  }
}

// A response with its body read: { status, headers, json (or null), text }.
export async function parsed(r) {
  const text = await r.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {}
  return { status: r.status, headers: r.headers, json, text };
}

export async function startServer(opts) {
  const s = new Server(opts);
  await s.start();
  return s;
}

export function basic(id, secret) {
  const enc = (s) => encodeURIComponent(s).replace(/%20/g, '+');
  return 'Basic ' + Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64');
}
