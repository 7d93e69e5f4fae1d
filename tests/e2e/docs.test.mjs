// The documentation stays in step with the server: every property the server knows is in
// docs/configuration.md, and every case of docs/revocation.md's table names a test that exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer } from './lib/server.mjs';

test('docs/configuration.md documents every property, with its default and range', async () => {
  const s = await startServer();
  try {
    const cfg = (await s.admin('GET', '/config')).json;
    const props = (await s.admin('GET', '/config/properties')).json.properties;
    const doc = readFileSync('docs/configuration.md', 'utf8');
    const names = Object.keys(cfg);
    assert.ok(names.length >= 20);
    for (const n of names) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${n}\` |`));
      assert.ok(row, `${n} is missing from docs/configuration.md`);
      if (!['listen', 'dbPath', 'issuer'].includes(n)) {
        assert.ok(row.includes('`' + JSON.stringify(cfg[n]) + '`'), `${n}: default ${JSON.stringify(cfg[n])} not in its row`);
      }
    }
    // every integer's enforced bounds, as the row writes them ("1 – 3600", "0 – 256")
    const ints = props.filter((p) => p.type === 'integer');
    assert.ok(ints.length >= 8);
    for (const p of ints) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${p.name}\` |`));
      assert.ok(row.includes(`${p.minimum} – ${p.maximum}`), `${p.name}: range ${p.minimum} – ${p.maximum} not in its row`);
    }
  } finally {
    await s.cleanup();
  }
});

test('docs/revocation.md: every case names a test of tests/e2e/revocation.test.mjs', () => {
  const doc = readFileSync('docs/revocation.md', 'utf8');
  const tests = readFileSync('tests/e2e/revocation.test.mjs', 'utf8');
  const rows = doc.split('\n').filter((l) => /^\| R\d+ \|/.test(l));
  assert.ok(rows.length >= 20, 'the case table has its rows');
  for (const row of rows) {
    const names = [...row.matchAll(/test: “([^”]+)”/g)].map((m) => m[1]);
    assert.ok(names.length, `row without a test name: ${row}`);
    for (const name of names) assert.ok(tests.includes(name), `no test named "${name}"`);
  }
});
