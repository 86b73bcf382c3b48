// The pages in a real browser, on the demo province: a whole round (the secretariat prepares it,
// the officer fills in and submits with evidence, appraisal round 1, explanation, round 2,
// approval and publication, an anonymous visitor reads the ranking), the language switch,
// validation errors in place, pages refused by role, an expired session. Every main page is
// screenshotted into e2e/screenshots/ and checked with axe-core (no serious or critical issue).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launchBrowser, newPage, signIn, checkPage, shot, pdf, root, shots, axeLog } from './lib.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  writeFileSync(join(shots, 'axe-summary.json'), JSON.stringify(axeLog, null, 2));
  await browser?.close();
  await server?.stop();
});

const SECRETARIAT = ['sonoivu', 'demo-sonoivu'];
const APPRAISER = ['thamdinh', 'demo-thamdinh'];
const OFFICER = ['canbo.thunghiem', 'mat-khau-thu-nghiem'];
const SHEET = '/ky/2020/phieu/thunghiem1';

/** Opens a confirmation (a <details> holding its form) and confirms. */
async function confirm(page, label) {
  const box = page.locator('details.confirm', { has: page.locator('summary', { hasText: label }) });
  await box.locator('summary').click();
  await Promise.all([page.waitForLoadState('load'), box.locator('button[type=submit]').click()]);
}

/** Changes a field of the grid and waits for its row's autosave. */
async function autosave(page, id, action) {
  const status = page.locator(`#st-${id}`);
  await action();
  await page.locator(`#st-${id}:has-text("✓")`).waitFor();
  return status;
}

test('the secretariat prepares a round: sets (with a refused one), unit, officer, appraiser, deadlines, opening', async () => {
  const page = await newPage(browser);
  const { base } = server;
  await signIn(page, base, ...SECRETARIAT);
  assert.match(page.url(), /\/ky\/2019$/);
  await checkPage(page, 'dashboard-2019', assert);

  await page.goto(`${base}/ky`);
  await page.fill('#year', '2020');
  await page.fill('#title', 'Xác định Chỉ số cải cách hành chính năm 2020');
  await Promise.all([page.waitForURL(/\/ky\/2020\/thiet-lap/), page.click('main form button[type=submit]')]);

  // A set whose areas do not add up to its total: refused, each problem shown in place.
  const set = readFileSync(join(root, 'e2e', 'fixtures', 'thunghiem-2020.set.toml'), 'utf8');
  await page.setInputFiles('#set-file', { name: 'thunghiem-sai.set.toml', mimeType: 'application/toml', buffer: Buffer.from(set.replace('total = 10', 'total = 12')) });
  await page.click('form[enctype="multipart/form-data"] button[type=submit]');
  const errors = page.locator('#import-errors');
  await errors.waitFor();
  assert.match(await errors.innerText(), /thunghiem-sai\.set\.toml/);
  assert.equal(await page.getAttribute('#set-file', 'aria-invalid'), 'true');
  await checkPage(page, 'settings-import-refused', assert);

  for (const [name, text] of [
    ['thunghiem-2020.set.toml', set],
    ['so-2019.set.toml', readFileSync(join(root, 'sets', 'so-2019.set.toml'), 'utf8')],
    ['huyen-2019.set.toml', readFileSync(join(root, 'sets', 'huyen-2019.set.toml'), 'utf8')],
  ]) {
    await page.setInputFiles('#set-file', { name, mimeType: 'application/toml', buffer: Buffer.from(text) });
    await Promise.all([page.waitForURL(/ok=imported/), page.click('form[enctype="multipart/form-data"] button[type=submit]')]);
  }
  assert.match(await page.locator('#sets + ul').innerText(), /thunghiem-2020/);
  await page.fill('#due-self_assessment', '2040-12-10T17:00');
  await page.fill('#due-appraisal_1', '2040-12-20T17:00');
  await Promise.all([page.waitForURL(/ok=saved/), page.click('form[action$="/han"] button[type=submit]')]);
  assert.equal(await page.inputValue('#due-self_assessment'), '2040-12-10T17:00');
  await checkPage(page, 'round-settings', assert);

  await page.click('text=Khối thử nghiệm');
  await page.waitForURL(/bo-chi-so\/thunghiem/);
  assert.match(await page.locator('main').textContent(), /Tỷ lệ hồ sơ trực tuyến toàn trình/);
  await checkPage(page, 'criteria-set', assert);

  // The unit, its officer, and the appraiser's areas.
  await page.goto(`${base}/don-vi`);
  await checkPage(page, 'units', assert);
  await page.fill('#code', 'thunghiem1');
  await page.fill('#name', 'Ban Thử nghiệm');
  await page.fill('#group', 'thunghiem');
  await page.fill('#level', 'thunghiem');
  await Promise.all([page.waitForURL(/ok=created/), page.click('form[action="/don-vi"] button[type=submit]')]);

  await page.goto(`${base}/don-vi/thunghiem1`);
  await checkPage(page, 'unit', assert);
  await page.goto(`${base}/ky`);
  await checkPage(page, 'rounds', assert);

  await page.goto(`${base}/nguoi-dung`);
  await checkPage(page, 'users', assert);
  await page.fill('#username', OFFICER[0]);
  await page.fill('#password', OFFICER[1]);
  await page.fill('#display_name', 'Cán bộ Ban Thử nghiệm');
  await page.check('#role-unit_officer');
  await page.selectOption('#unit', 'thunghiem1');
  await Promise.all([page.waitForURL(/nguoi-dung\/canbo\.thunghiem/), page.click('form[action="/nguoi-dung"] button[type=submit]')]);

  await page.goto(`${base}/nguoi-dung/thamdinh`);
  for (const area of ['1', '2']) {
    await page.fill('#a-year', '2020');
    await page.selectOption('#a-group', 'thunghiem');
    await page.fill('#a-area', area);
    await Promise.all([page.waitForURL(/ok=saved/), page.click('form[action$="/phan-cong"] button[type=submit]')]);
  }
  assert.match(await page.locator('#areas + ul').innerText(), /2020 · thunghiem · Lĩnh vực 2/);
  await checkPage(page, 'user', assert);

  await page.goto(`${base}/ky/2020/thiet-lap`);
  await confirm(page, 'Mở kỳ đánh giá');
  assert.match(page.url(), /\/ky\/2020\?ok=saved/);
  assert.match(await page.locator('main').innerText(), /Ban Thử nghiệm/);
  await page.context().close();
});

test('the officer fills in the sheet (autosave, a refused value in place, evidence), and submits', async () => {
  const page = await newPage(browser);
  const { base } = server;
  await signIn(page, base, ...OFFICER);
  assert.match(page.url(), new RegExp(`${SHEET}$`));
  await confirm(page, 'Bắt đầu tự đánh giá');

  // Points come back as data is declared.
  await autosave(page, '1-1-1', () => page.selectOption('#d-1-1-1', 'có'));
  assert.equal(await page.innerText('#pts-1-1-1'), '2');
  // A ratio that is not one: the message appears in the row, nothing is lost.
  await page.fill('#d-1-1-2', 'tám phần mười');
  await page.press('#d-1-1-2', 'Tab');
  await page.locator('#err-1-1-2 p').waitFor();
  assert.match(await page.innerText('#err-1-1-2'), /tám phần mười/);
  await shot(page, 'sheet-value-refused');
  await autosave(page, '1-1-2', async () => {
    await page.fill('#d-1-1-2', '8/10');
    await page.press('#d-1-1-2', 'Tab');
  });
  assert.equal(await page.innerText('#pts-1-1-2'), '1,6');
  assert.equal(await page.innerText('#err-1-1-2'), '');
  await autosave(page, '1-2-1', async () => {
    await page.fill('#d-1-2-1', '3');
    await page.press('#d-1-2-1', 'Tab');
  });
  assert.equal(await page.innerText('#pts-1-2-1'), '1,5');
  assert.match(await page.innerText('#summary'), /3\/5/);
  await checkPage(page, 'sheet-self-assessment', assert);

  // The session expires while working: sign in again and come back to the same page.
  await page.context().clearCookies();
  await page.selectOption('#d-1-1-1', 'không');
  await page.waitForURL(/\/dang-nhap\?next=/);
  assert.match(await page.locator('main').innerText(), /Phiên làm việc đã hết hạn/);
  await page.fill('#username', OFFICER[0]);
  await page.fill('#password', OFFICER[1]);
  await Promise.all([page.waitForURL(new RegExp(`${SHEET}$`)), page.click('main button[type=submit]')]);
  assert.equal(await page.inputValue('#d-1-1-1'), 'có', 'nothing was saved without a session');

  await page.click('text=Lĩnh vực 2');
  await page.waitForURL(/linh-vuc=2/);
  await autosave(page, '2-1-1', () => page.selectOption('#d-2-1-1', 'có'));
  await autosave(page, '2-1-2', async () => {
    await page.fill('#d-2-1-2', '50/100');
    await page.press('#d-2-1-2', 'Tab');
  });
  assert.equal(await page.innerText('#pts-2-1-2'), '0,5');

  // Evidence with its page reference, then downloaded.
  await page.goto(`${base}${SHEET}/muc/1.1.1`);
  await page.fill('#page_ref', 'tr. 3, mục II');
  await page.setInputFiles('#file', { name: 'ke-hoach-cchc-2020.pdf', mimeType: 'application/pdf', buffer: pdf('Ke hoach CCHC 2020') });
  await Promise.all([page.waitForURL(/ok=uploaded/), page.click('form[enctype="multipart/form-data"] button[type=submit]')]);
  assert.match(await page.locator('#files + ul').innerText(), /ke-hoach-cchc-2020\.pdf — Vị trí trong tài liệu: tr\. 3, mục II/);
  await checkPage(page, 'sub-criterion', assert);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=ke-hoach-cchc-2020.pdf')]);
  assert.equal(download.suggestedFilename(), 'ke-hoach-cchc-2020.pdf');

  await page.goto(`${base}${SHEET}`);
  assert.match(await page.innerText('#summary'), /Tài liệu kiểm chứng: 1/);
  await confirm(page, 'Nộp phiếu tự đánh giá');
  assert.match(await page.locator('main').innerText(), /đã nộp/);
  assert.equal(await page.locator('#d-1-1-1').count(), 0, 'locked after submission');
  await page.context().close();
});

test('appraisal round 1, the explanation, round 2 with what changed, approval and publication', async () => {
  const { base } = server;
  const appraiser = await newPage(browser);
  await signIn(appraiser, base, ...APPRAISER);
  assert.match(appraiser.url(), /\/tham-dinh$/);
  await checkPage(appraiser, 'appraisal-queue', assert);
  await Promise.all([appraiser.waitForURL(new RegExp(SHEET)), appraiser.click('text=Ban Thử nghiệm')]);
  await confirm(appraiser, 'Bắt đầu thẩm định lần 1');
  await autosave(appraiser, '1-1-2', async () => {
    await appraiser.fill('#pn-1-1-2', 'Báo cáo chưa nêu số nhiệm vụ hoàn thành');
    await appraiser.fill('#p-1-1-2', '1');
    await appraiser.press('#p-1-1-2', 'Tab');
  });
  await checkPage(appraiser, 'sheet-appraisal-1', assert);
  await confirm(appraiser, 'Gửi kết quả lần 1, yêu cầu giải trình');
  assert.match(await appraiser.locator('main > p').first().innerText(), /.*/);
  assert.match(await appraiser.locator('.state').first().innerText(), /yêu cầu giải trình/, await appraiser.locator('main').innerText());

  const officer = await newPage(browser);
  await signIn(officer, base, ...OFFICER);
  const row = officer.locator('#row-1-1-2');
  assert.match(await row.innerText(), /Báo cáo chưa nêu số nhiệm vụ hoàn thành/);
  await autosave(officer, '1-1-2', async () => {
    await officer.fill('#e-1-1-2', 'Đã bổ sung báo cáo có danh mục 10 nhiệm vụ, 8 nhiệm vụ hoàn thành.');
    await officer.press('#e-1-1-2', 'Tab');
  });
  await checkPage(officer, 'sheet-explanation', assert);
  await officer.goto(`${base}${SHEET}/muc/1.1.2`);
  await officer.setInputFiles('#file', { name: 'bao-cao-bo-sung.pdf', mimeType: 'application/pdf', buffer: pdf('Bao cao bo sung') });
  await Promise.all([officer.waitForURL(/ok=uploaded/), officer.click('form[enctype="multipart/form-data"] button[type=submit]')]);
  assert.match(await officer.locator('#files + ul').innerText(), /bổ sung khi giải trình/);
  await officer.goto(`${base}${SHEET}`);
  await confirm(officer, 'Nộp giải trình');

  await appraiser.goto(`${base}${SHEET}`);
  await confirm(appraiser, 'Bắt đầu thẩm định lần 2');
  const changed = appraiser.locator('#row-1-1-2');
  assert.equal(await changed.getAttribute('class'), 'changed');
  assert.match(await changed.innerText(), /Có giải trình/);
  await autosave(appraiser, '1-1-2', async () => {
    await appraiser.fill('#pn-1-1-2', 'Chấp nhận giải trình');
    await appraiser.fill('#p-1-1-2', '1,6');
    await appraiser.press('#p-1-1-2', 'Tab');
  });
  await checkPage(appraiser, 'sheet-appraisal-2', assert);
  await appraiser.context().close();
  await officer.context().close();

  const sec = await newPage(browser);
  await signIn(sec, base, ...SECRETARIAT);
  await sec.goto(`${base}${SHEET}`);
  await confirm(sec, 'Phê duyệt kết quả');
  assert.match(await sec.locator('main').innerText(), /đã phê duyệt/);
  await sec.click('text=Nhật ký thay đổi');
  assert.match(await sec.locator('main').innerText(), /Chấp nhận giải trình/);
  await checkPage(sec, 'audit-trail', assert);

  await sec.goto(`${base}/ky/2020/ket-qua`);
  await sec.check('#g-thunghiem');
  await sec.fill('#reason', 'Quyết định số 99/QĐ-UBND ngày 01/3/2021 của UBND tỉnh');
  await checkPage(sec, 'results-preview', assert);
  await Promise.all([sec.waitForURL(/\/xep-hang\/2020\/thunghiem\?ok=published/), sec.click('form[action$="/cong-bo"] button[type=submit]')]);
  await sec.context().close();

  // Anyone can read what was published.
  const visitor = await newPage(browser);
  await visitor.goto(`${base}/`);
  await checkPage(visitor, 'home', assert);
  await visitor.click('text=Xem kết quả xếp hạng đã công bố');
  await checkPage(visitor, 'results-index', assert);
  await visitor.click('text=Xếp hạng Chỉ số CCHC năm 2020 — Khối thử nghiệm');
  const table = visitor.locator('table.ranking');
  const line = await table.locator('tbody tr').first().innerText();
  assert.match(line, /Ban Thử nghiệm/);
  assert.match(line, /7,60/);
  assert.match(line, /76,00/);
  assert.match(line, /Khá/);
  await checkPage(visitor, 'ranking', assert);
  await visitor.click('text=Ban Thử nghiệm');
  assert.match(await visitor.locator('main').innerText(), /Điểm đạt và điểm bị mất theo lĩnh vực/);
  assert.equal(await visitor.locator('figure svg').count(), 2);
  await checkPage(visitor, 'scorecard', assert);
  await visitor.context().close();
});

test('the language switch, from Vietnamese to English and back, is remembered', async () => {
  const page = await newPage(browser);
  const { base } = server;
  await page.goto(`${base}/xep-hang/2018/so`);
  assert.match(await page.locator('h1').innerText(), /Xếp hạng Chỉ số CCHC năm 2018/);
  assert.match(await page.locator('table.ranking').innerText(), /86,60/);
  await page.click('a[hreflang=en]');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.match(await page.locator('h1').innerText(), /PAR Index ranking 2018: Departments/);
  assert.match(await page.locator('table.ranking').innerText(), /86\.60/);
  await checkPage(page, 'ranking-en', assert);
  await page.click('text=Published PAR Index results');
  assert.match(await page.locator('h1').innerText(), /Published PAR Index results/);
  await signIn(page, base, ...SECRETARIAT);
  assert.match(await page.locator('nav').innerText(), /Rounds/);
  await page.goto(`${base}/ky/2019/phieu/skhcn`);
  assert.match(await page.locator('main').innerText(), /Appraisal round 1/);
  await checkPage(page, 'sheet-en', assert);
  await page.click('a[hreflang=vi]');
  assert.equal(await page.getAttribute('html', 'lang'), 'vi');
  assert.match(await page.locator('main').innerText(), /Thẩm định lần 1/);
  await page.context().close();
});

test('a page is refused to a role that may not see it, and sign-in leads back', async () => {
  const { base } = server;
  const officer = await newPage(browser);
  await signIn(officer, base, 'canbo.skhcn', 'demo-canbo-skhcn');
  const res = await officer.goto(`${base}/don-vi`);
  assert.equal(res.status(), 403);
  assert.match(await officer.locator('h1').innerText(), /Không có quyền truy cập/);
  await checkPage(officer, 'refused', assert);
  const other = await officer.goto(`${base}/ky/2019/phieu/stc`);
  assert.equal(other.status(), 403);
  // An unknown address: a page in the user's language with the site's navigation, not JSON.
  const missing = await officer.goto(`${base}/khong-co-trang-nay`);
  assert.equal(missing.status(), 404);
  assert.match(await officer.locator('h1').innerText(), /Không tìm thấy/);
  assert.match(await officer.locator('main').innerText(), /không có địa chỉ này/);
  await checkPage(officer, 'not-found', assert);
  await officer.goto(`${base}/tai-khoan`);
  await checkPage(officer, 'account', assert);
  await officer.context().close();

  const visitor = await newPage(browser);
  await visitor.goto(`${base}/ky/2019`);
  assert.match(visitor.url(), /\/dang-nhap\?next=%2Fky%2F2019$/);
  await checkPage(visitor, 'sign-in', assert);
  await visitor.fill('#username', 'lanhdao');
  await visitor.fill('#password', 'sai mat khau');
  await visitor.click('main button[type=submit]');
  assert.match(await visitor.locator('#signin-error').innerText(), /không đúng/);
  assert.equal(await visitor.getAttribute('#password', 'aria-invalid'), 'true');
  await visitor.fill('#password', 'demo-lanhdao');
  await Promise.all([visitor.waitForURL(/\/ky\/2019$/), visitor.click('main button[type=submit]')]);
  await visitor.context().close();
});

test('a narrow screen (phone) still shows every page usably', async () => {
  const page = await newPage(browser, { width: 390 });
  const { base } = server;
  await page.goto(`${base}/xep-hang/2018/so`);
  await shot(page, 'ranking-phone');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px (tables scroll inside their box)`);
  await page.context().close();
});
