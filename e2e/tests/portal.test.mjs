// The public portal in a real browser, on the demo province, without signing in: the portal
// home, a search that ignores diacritics, a news item, a unit's profile with its charts, the
// work calendar moved a week back and forth. Each page is
// screenshotted into e2e/screenshots/portal-*.png and checked with axe-core (no serious or
// critical violation); the visit counter does not move while the same visitor reads on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launchBrowser, newPage, checkPage, shots, axeLog } from './lib.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  writeFileSync(join(shots, 'axe-portal-summary.json'), JSON.stringify(axeLog, null, 2));
  await browser?.close();
  await server?.stop();
});

test('a citizen searches the news, reads an item, opens a unit profile and moves through the calendar', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.base}/cong-thong-tin`);
  assert.match(await page.locator('h1').innerText(), /Cổng thông tin cải cách hành chính/);
  assert.match(await page.locator('main').innerText(), /Cổng Dịch vụ công quốc gia/);
  const counted = await page.locator('footer .visits').innerText();
  assert.match(counted, /Lượt truy cập: Hôm nay \d+ · Tổng số \d+/);
  await checkPage(page, 'portal-home', assert);

  // Search without diacritics: "dong nai" finds "Đồng Nai".
  await page.goto(`${server.base}/tin-tuc`);
  await page.fill('#q', 'dong nai');
  await Promise.all([page.waitForLoadState('load'), page.click('form.search button[type=submit]')]);
  const results = page.locator('ul.cards li');
  assert.equal(await results.count(), 1);
  assert.match(await results.first().innerText(), /Đồng Nai và các tỉnh chia sẻ kinh nghiệm/);
  await checkPage(page, 'portal-search', assert);

  // A reversed date range is refused in place, in Vietnamese.
  await page.fill('#tu', '2026-12-31');
  await page.fill('#den', '2026-01-01');
  await Promise.all([page.waitForLoadState('load'), page.click('form.search button[type=submit]')]);
  assert.match(await page.locator('.errors').innerText(), /Đến ngày: ngày kết thúc trước ngày bắt đầu/);

  // Read the item.
  await page.goto(`${server.base}/tin-tuc?q=dong+nai`);
  await Promise.all([page.waitForLoadState('load'), results.first().locator('a').click()]);
  assert.match(await page.locator('h1').innerText(), /Đồng Nai/);
  assert.match(await page.locator('article .body').innerText(), /một cửa hiện đại/);
  await checkPage(page, 'portal-item', assert);

  // A unit's profile from the published ranking: 2018 with its decimal comma, and the charts.
  await page.goto(`${server.base}/ho-so-don-vi/skhcn`);
  assert.match(await page.locator('h1').innerText(), /Sở Khoa học và Công nghệ/);
  assert.match(await page.locator('main').innerText(), /86,60/);
  assert.equal(await page.locator('svg').count() >= 2, true);
  await checkPage(page, 'portal-unit', assert);

  // The work calendar: this week has the demo's meetings; one week on and back again.
  await page.goto(`${server.base}/lich-cong-tac`);
  const heading = await page.locator('#week-of').innerText();
  assert.match(await page.locator('table.calendar').innerText(), /Họp Hội đồng thẩm định|Làm việc với Sở Khoa học|Kiểm tra công tác/);
  await checkPage(page, 'portal-calendar', assert);
  await Promise.all([page.waitForLoadState('load'), page.click('a[rel=next]')]);
  const next = await page.locator('#week-of').innerText();
  assert.notEqual(next, heading);
  await Promise.all([page.waitForLoadState('load'), page.click('a[rel=prev]')]);
  assert.equal(await page.locator('#week-of').innerText(), heading);

  // A dozen pages later the same visitor is still one visit: the counter has not moved.
  assert.equal(await page.locator('footer .visits').innerText(), counted);
  await page.context().close();
});
