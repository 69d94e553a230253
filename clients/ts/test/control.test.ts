// The client against a real mock: IDFLOWS_URL, guarded by IDFLOWS_CONTROL_TOKEN (the Go test
// TestTypeScriptClient starts it and runs these).
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlError, createControl, type IdentitySeed } from '../src/index.js';

const baseUrl = process.env.IDFLOWS_URL ?? 'http://localhost:4433';
const token = process.env.IDFLOWS_CONTROL_TOKEN;
const unique = (what: string) => `${what}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const control = (tenant = unique('t')) => createControl({ baseUrl, token, tenant });

test('seeding type-checks with only an email, and the identity is listed', async () => {
  const mock = control();
  const seed: IdentitySeed = { email: 'seeded@example.com' };
  const made = await mock.seedIdentity(seed);
  assert.match(made.id, /^usr_/);
  assert.equal(made.email_verified, false);
  assert.ok((await mock.identities()).some((i) => i.id === made.id));
});

test('a seeded TOTP secret gives codes, and the clock moves them on', async () => {
  const mock = control();
  const made = await mock.seedIdentity({ email: 'mfa-ts@example.com', password: 'correct-horse-battery', totp_secret: 'JBSWY3DPEHPK3PXP' });
  const first = await mock.totp(made.id);
  assert.match(first, /^\d{6}$/);
  const before = Date.now();
  const now = await mock.advanceClock(3600);
  assert.ok(now.getTime() - before >= 3600_000 - 5000, `the clock moved an hour: ${now.toISOString()}`);
  assert.notEqual(await mock.totp(made.id), first);
});

test('lastCode is the code a flow just sent, in the tenant that sent it', async () => {
  const mock = control();
  const headers = { Accept: 'application/json', 'Content-Type': 'application/json', 'X-Mock-Tenant': mock.tenantName };
  const flow = await (await fetch(`${baseUrl}/v1/flows/verification`, { headers })).json();
  const csrf = flow.ui.nodes.find((n: { attributes: { name?: string } }) => n.attributes.name === 'csrf_token').attributes.value;
  const res = await fetch(flow.ui.action, { method: 'POST', headers, body: JSON.stringify({ method: 'code', body: { email: 'jane@acme.com', csrf_token: csrf } }) });
  assert.equal(res.status, 200);
  const code = await mock.lastCode('jane@acme.com');
  assert.match(code, /^\d{6}$/);
  await assert.rejects(mock.tenant(unique('other')).lastCode('jane@acme.com', { waitMs: 0 }), ControlError, 'another tenant saw nothing');
});

test('tenants are isolated, and reset goes back to the personas', async () => {
  const a = control(), b = control();
  await a.seedIdentity({ email: 'only-in-a@example.com' });
  assert.ok(await a.identityByEmail('only-in-a@example.com'));
  assert.equal(await b.identityByEmail('only-in-a@example.com'), undefined);
  await a.reset();
  assert.equal(await a.identityByEmail('only-in-a@example.com'), undefined);
  assert.ok(await a.identityByEmail('jane@acme.com'));
});

test('without the token the control plane refuses, with the contract error code', async () => {
  const open = createControl({ baseUrl });
  await assert.rejects(open.identities(), (err: unknown) => {
    assert.ok(err instanceof ControlError);
    assert.equal(err.status, 401);
    assert.equal(err.code, 'AVNOLOGY_AUTH_005');
    return true;
  });
});

test('an app registered in a tenant starts "Sign in with Avnology" there, and nowhere else', async () => {
  const mock = control();
  const app = await mock.registerOAuth2Client({ client_id: 'cli_ts_app', redirect_uris: ['http://localhost:5173/callback'] });
  assert.equal(app.confidential, false);
  assert.ok((await mock.oauth2Clients()).some((c) => c.client_id === 'cli_ts_app'));
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    response_type: 'code', client_id: 'cli_ts_app', redirect_uri: 'http://localhost:5173/callback', scope: 'openid email',
    state: 's1', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  });
  const authorize = (tenant: string) => fetch(`${baseUrl}/oauth2/auth?${query}`, { redirect: 'manual', headers: { 'X-Mock-Tenant': tenant } });
  const started = await authorize(mock.tenantName);
  assert.equal(started.status, 303);
  assert.match(started.headers.get('location') ?? '', /\/ui\/login\?login_challenge=/);
  assert.equal((await authorize(unique('other'))).status, 400, 'another tenant does not know the app');
});
