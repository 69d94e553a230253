// A typed client of the idflows mock's control plane, generated from openapi/mock-control.yaml
// (schema.ts, by openapi-typescript) and used through openapi-fetch, with the few calls an
// end-to-end test makes every day.
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, paths } from './schema.js';
export type IdentitySeed = components['schemas']['IdentitySeed'];
export type IdentitySummary = components['schemas']['IdentitySummary'];
export type OutboxMessage = components['schemas']['OutboxMessage'];
export type FlowSummary = components['schemas']['FlowSummary'];
export type SessionSummary = components['schemas']['SessionSummary'];
export type OAuth2ClientSeed = components['schemas']['OAuth2ClientSeed'];
export type OAuth2Client = components['schemas']['OAuth2Client'];

export interface ControlOptions {
  /** The mock's base URL, e.g. http://localhost:4433. */
  baseUrl: string;
  /** The control token (--control-token), when the mock has one. */
  token?: string;
  /** The tenant to act on (X-Mock-Tenant); "default" when absent. */
  tenant?: string;
  /** A fetch of your own (a test runner's, a proxy's). */
  fetch?: typeof fetch;
}

/** An answer of the control plane that is not a success, with the contract's error code. */
export class ControlError extends Error {
  constructor(readonly status: number, readonly code: string | undefined, message: string) {
    super(message);
    this.name = 'ControlError';
  }
}

// State changes say they are JSON, even without a body (D13): no cross-site form can.
const json = { 'Content-Type': 'application/json' };

export class Control {
  /** The generated client, for every other call of the control plane. */
  readonly raw: Client<paths>;
  readonly tenantName: string;

  constructor(private readonly options: ControlOptions) {
    this.tenantName = options.tenant ?? 'default';
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (options.token) headers['X-Mock-Token'] = options.token;
    if (options.tenant) headers['X-Mock-Tenant'] = options.tenant;
    this.raw = createClient<paths>({ baseUrl: options.baseUrl.replace(/\/$/, ''), headers, fetch: options.fetch });
  }

  /** The same mock, acting on another tenant: an isolated world of its own. */
  tenant(name: string): Control {
    return new Control({ ...this.options, tenant: name });
  }

  /** Back to the personas: identities, flows, sessions, clock, outbox, faults, journal. */
  async reset(): Promise<void> {
    check(await this.raw.POST('/_mock/reset', { headers: json }));
  }

  /** Seeds an identity with any credential (password, TOTP secret, lookup secrets, passkeys…). */
  async seedIdentity(seed: IdentitySeed): Promise<IdentitySummary> {
    return check(await this.raw.POST('/_mock/identities', { body: seed, headers: json }));
  }

  async identities(): Promise<IdentitySummary[]> {
    return check(await this.raw.GET('/_mock/identities')).identities;
  }

  /** The emails the mock sent, newest first; to one address when given. */
  async outbox(address?: string): Promise<OutboxMessage[]> {
    return check(await this.raw.GET('/_mock/outbox', { params: { query: address ? { to: address } : {} } })).messages;
  }

  /**
   * The newest code sent to address. Emails are recorded as the flow answers, so the code is
   * there once the submit that sent it has answered; waitMs covers a page that has not yet.
   */
  async lastCode(address: string, { waitMs = 5000 } = {}): Promise<string> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const code = (await this.outbox(address)).find((m) => m.code)?.code;
      if (code) return code;
      if (Date.now() >= deadline) throw new ControlError(404, undefined, `no code was sent to ${address}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The identity's current TOTP code, at the tenant's clock. */
  async totp(identityId: string): Promise<string> {
    const res = check(await this.raw.GET('/_mock/identities/{identity_id}/totp', { params: { path: { identity_id: identityId } } }));
    return res.code;
  }

  /** Moves the tenant's clock forward, and answers the new time. */
  async advanceClock(seconds: number): Promise<Date> {
    const res = check(await this.raw.POST('/_mock/clock:advance', { body: { seconds }, headers: json }));
    return new Date(res.now);
  }

  /**
   * Registers an app for "Sign in with Avnology" in the tenant: it may then send people to
   * /oauth2/auth with its client_id and one of its redirect_uris, exactly.
   */
  async registerOAuth2Client(client: OAuth2ClientSeed): Promise<OAuth2Client> {
    return check(await this.raw.POST('/_mock/oauth2/clients', { body: client, headers: json }));
  }

  /** The tenant's apps: the fixtures' and the registered ones (never their secrets). */
  async oauth2Clients(): Promise<OAuth2Client[]> {
    return check(await this.raw.GET('/_mock/oauth2/clients')).clients;
  }

  /** The identity with this email, if the tenant has one. */
  async identityByEmail(email: string): Promise<IdentitySummary | undefined> {
    return (await this.identities()).find((i) => i.email === email);
  }
}

export function createControl(options: ControlOptions): Control {
  return new Control(options);
}

type Answer<T> = { data?: T; error?: unknown; response: Response };

function check<T>(answer: Answer<T>): T {
  if (answer.response.ok) return answer.data as T;
  const error = (answer.error as { error?: { code?: string; message?: string } } | undefined)?.error;
  throw new ControlError(answer.response.status, error?.code,
    `${answer.response.status} ${error?.code ?? ''} ${error?.message ?? answer.response.statusText}`.trim());
}
