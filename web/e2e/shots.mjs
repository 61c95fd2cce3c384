// The screens issue 31 named, as a learner sees them: `node shots.mjs BASE OUTDIR` against any
// build of the pages (served at BASE), so the same steps picture the code before and after.
// Each step waits only for what every build shows, and a step that cannot finish on a build (a
// restore that never ends) is pictured as it stands.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const [base, out] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
const shoot = async (name, viewport, go) => {
  const page = await browser.newPage({ viewport });
  try {
    await go(page);
  } catch (e) {
    console.log(`${name}: ${String(e).split('\n')[0]} (pictured as it stands)`);
  }
  await page.screenshot({ path: `${out}/${name}.png` });
  console.log(`${out}/${name}.png`);
  await page.close();
};
const clockAt = (page, s) => page.waitForFunction((s) => document.querySelector('#clock')?.textContent.startsWith(s), s, { timeout: 60000 });
const desk = { width: 1280, height: 800 };

await shoot('01-at-70s', desk, async (p) => {
  await p.goto(`${base}#file=01-async-failover.toml&t=70000`);
  await clockAt(p, '70.0 s');
  await p.locator('#chart-lag').scrollIntoViewIfNeeded();
});
await shoot('08a-at-the-end', desk, async (p) => {
  await p.goto(`${base}#file=08a-drop-table-pitr.toml&t=360000`);
  await clockAt(p, '360.0 s');
  await p.locator('.pitr').scrollIntoViewIfNeeded();
});
await shoot('08a-after-own-restore', desk, async (p) => {
  await p.goto(`${base}#file=08a-drop-table-pitr.toml&t=360000`);
  await clockAt(p, '360.0 s');
  await p.getByRole('button', { name: /just before the DROP TABLE/ }).click({ timeout: 5000 });
  await p.click('#pitr-restore');
  await p.click('#play');
  await p.waitForSelector('#restored-table tbody tr', { timeout: 20000 });
  await p.click('#pause').catch(() => {});
  await p.locator('.pitr').scrollIntoViewIfNeeded();
});
await shoot('10c-user-id', desk, async (p) => {
  await p.goto(`${base}shard.html#file=10c-celebrity-hotspot.toml`);
  await p.waitForSelector('#shard-key', { timeout: 60000 });
  await p.selectOption('#shard-key', 'user_id');
  await p.waitForTimeout(3000);
});
await shoot('11b-at-30s', desk, async (p) => {
  await p.goto(`${base}#file=11b-million-users-pgbouncer.toml&t=30000`);
  await clockAt(p, '30.0 s');
  await p.locator('svg#cluster').scrollIntoViewIfNeeded();
});
await shoot('challenge-09-ttl-first', desk, async (p) => {
  await p.goto(`${base}#file=challenges/09-fast-failover.toml`);
  await p.waitForSelector('#set-ttl', { timeout: 60000 });
  await p.fill('#set-ttl', '20');
  await p.press('#set-ttl', 'Enter');
  await p.waitForTimeout(1000);
  await p.locator('#set-ttl').scrollIntoViewIfNeeded();
});
await shoot('phone-390x844', { width: 390, height: 844 }, async (p) => {
  await p.goto(`${base}#file=01-async-failover.toml`);
  await p.waitForSelector('#clock', { timeout: 60000 });
});
await browser.close();
