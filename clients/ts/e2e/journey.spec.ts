// The whole journey through the mock's account pages, in a tenant of the test's own:
// register → the code from the outbox → verify → enrol TOTP → log out → log in with TOTP.
import { test, expect } from '../src/playwright.js';

test('register, verify, enrol TOTP, and sign in again with it', async ({ page, mock }) => {
  const email = 'journey@example.com', password = 'correct-horse-battery';

  await page.goto('/ui/registration');
  await page.fill('input[name="traits.email"]', email);
  await page.fill('input[name="password"]', password);
  await page.click('button[name="method"][value="password"]');
  await expect(page.locator('section[data-signed-in="true"] #email')).toContainText('not verified');

  await page.click('a[href="/ui/verification"]');
  await page.fill('input[name="email"]', email);
  await page.click('button[name="method"]');
  await page.fill('input[name="code"]', await mock.lastCode(email));
  await page.click('button[name="method"]');
  await expect(page.locator('.message.success')).toContainText('verified');

  // The pages acted on this test's tenant (the fixture's cookie), not on the default one.
  const me = await mock.identityByEmail(email);
  expect(me?.email_verified).toBe(true);
  expect(await mock.tenant('default').identityByEmail(email)).toBeUndefined();
  await page.goto('/ui/settings');
  await expect(page.locator('form[data-group="totp"] img')).toBeVisible();
  const secret = (await page.locator('form[data-group="totp"] .text code').textContent())!.trim();
  expect(secret).toMatch(/^[A-Z2-7]+$/);
  // The mock computes the code from the secret the page shows, at the tenant's clock.
  const enrolled = await mock.seedIdentity({ email: 'clock-twin@example.com', totp_secret: secret });
  await page.fill('form[data-group="totp"] input[name="totp_code"]', await mock.totp(enrolled.id));
  await page.click('form[data-group="totp"] button[name="method"]');
  await expect(page.locator('section[data-flow-type="settings"] .message.success')).toBeVisible();
  expect((await mock.identityByEmail(email))?.credentials).toContain('totp');

  await page.goto('/ui/');
  await page.click('#logout');
  await page.fill('input[name="identifier"]', email);
  await page.fill('input[name="password"]', password);
  await page.click('button[name="method"][value="password"]');
  await expect(page.locator('input[name="totp_code"]')).toBeVisible();
  await mock.advanceClock(30); // the enrolment's code is spent
  await page.fill('input[name="totp_code"]', await mock.totp(me!.id));
  await page.click('button[name="method"][value="totp"]');
  await expect(page.locator('#aal')).toHaveText('aal2');
});
