// A Playwright fixture that gives every test a tenant of its own: its control client acts on
// the tenant, and the browser context carries the idflows_tenant cookie, so the pages it opens
// and the API calls they make act on the same isolated world. Tests run in parallel without
// seeing each other's identities, codes or clock, and a rerun starts from the personas.
import { test as base } from '@playwright/test';
import { Control, createControl } from './index.js';

export interface MockOptions {
  /** The mock's URL (IDFLOWS_URL, else http://localhost:4433). */
  mockURL: string;
  /** Its control token (IDFLOWS_CONTROL_TOKEN), if it has one. */
  mockToken: string | undefined;
}

export interface MockFixtures {
  /** This test's tenant. */
  tenant: string;
  /** The control plane, acting on this test's tenant. */
  mock: Control;
}

export const test = base.extend<MockFixtures & MockOptions>({
  mockURL: [process.env.IDFLOWS_URL ?? 'http://localhost:4433', { option: true }],
  mockToken: [process.env.IDFLOWS_CONTROL_TOKEN, { option: true }],
  tenant: async ({}, use, testInfo) => {
    await use(`pw-${testInfo.testId}-${testInfo.repeatEachIndex}-${testInfo.retry}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64));
  },
  mock: async ({ mockURL, mockToken, tenant, context }, use) => {
    const mock = createControl({ baseUrl: mockURL, token: mockToken, tenant });
    await mock.reset(); // a rerun of the test starts from the personas again
    await context.addCookies([{ name: 'idflows_tenant', value: tenant, url: mockURL }]);
    await use(mock);
  },
});

export { expect } from '@playwright/test';
