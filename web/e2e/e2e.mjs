// End-to-end test in Debian's headless Chromium: load the app, crash the primary by clicking it,
// play until the failover, scrub back, and reload from the URL. Screenshots go to $SHOTS.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const base = process.argv[2];
const shots = process.env.SHOTS || 'screenshots';
const exe = process.env.CHROMIUM || '/usr/bin/chromium';
mkdirSync(shots, { recursive: true });

let passed = 0, failed = 0;
async function step(name, fn) {
  try { await fn(); passed++; console.log(`test e2e::${name} ... ok`); }
  catch (e) { failed++; console.log(`test e2e::${name} ... FAILED\n${e.stack || e}`); throw e; }
}

const browser = await chromium.launch({
  executablePath: exe,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
// Every request the pages make must be answered (a missing favicon was a 404 on every page).
const missing = [];
page.on('response', (r) => { if (r.status() >= 400) missing.push(`${r.status()} ${r.url()}`); });
const node = (n) => page.locator(`g[data-node="${n}"]`);
// Every task over 50 ms the page runs (PerformanceObserver `longtask`), to print the longest.
await page.addInitScript(() => {
  window.__long = [];
  try { new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(Math.round(e.duration)); }).observe({ type: 'longtask', buffered: true }); } catch (e) { /* not supported */ }
});
const longest = () => page.evaluate(() => Math.max(0, ...(window.__long || [])));
const longTasks = [];
// SVG labels that run past their drawing's edge (the browser cuts them off there).
const cutLabels = (sel) => page.$$eval(`${sel} svg text`, (ts) => ts.filter((t) => {
  const b = t.getBBox();
  const vb = t.ownerSVGElement.viewBox.baseVal;
  return vb.width > 0 && (b.x < vb.x - 0.5 || b.x + b.width > vb.x + vb.width + 0.5);
}).map((t) => t.textContent));
const shot = async (name) => { const p = `${shots}/${name}.png`; await page.screenshot({ path: p, fullPage: true }); console.log(`screenshot ${p}`); };

try {
  await step('loads_the_app', async () => {
    await page.goto(base);
    await node('pg1').waitFor({ timeout: 30000 });
    for (const p of ['shard.html', 'plan.html', 'migrate.html']) {
      await page.goto(base + p);
      await page.waitForSelector('h2', { timeout: 30000 });
    }
    if (missing.length) throw new Error(`requests that failed: ${missing.join(', ')}`);
    await page.goto(base);
    await node('pg1').waitFor({ timeout: 30000 });
    await shot('01-loaded');
  });
  await step('chooses_async_failover', async () => {
    await page.selectOption('#scenario', '01-async-failover.toml');
    await page.waitForFunction(() => document.querySelector('h2')?.textContent.includes('Async replication'));
  });
  await step('crash_primary_and_fail_over', async () => {
    await node('pg1').click();
    await page.click('#crash-host');
    await page.waitForSelector('g[data-node="pg1"][data-role="host down"]', { timeout: 10000 });
    await page.getByRole('button', { name: '1000×' }).click();
    await page.click('#play');
    await page.waitForSelector('g[data-role="primary"][data-timeline="2"]', { timeout: 60000 });
    await shot('02-failed-over');
  });
  await step('scrub_back_shows_the_old_state', async () => {
    await page.click('#pause').catch(() => {});
    await page.$eval('#scrubber', (el) => { el.value = '10000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.waitForSelector('g[data-node="pg2"][data-role="standby"][data-timeline="1"]', { timeout: 10000 });
    const clock = await page.textContent('#clock');
    if (!clock.startsWith('10.0 s')) throw new Error(`clock shows ${clock}`);
    await shot('03-scrubbed-back');
  });
  await step('reload_restores_the_same_state', async () => {
    const before = await page.locator('svg#cluster').textContent();
    const url = page.url();
    if (!url.includes('log=')) throw new Error(`URL lacks the command log: ${url}`);
    await page.goto('about:blank');
    await page.goto(url);
    await node('pg1').waitFor({ timeout: 30000 });
    await page.waitForFunction((b) => document.querySelector('svg#cluster')?.textContent === b, before, { timeout: 30000 });
    await shot('04-reloaded');
  });
  await step('settings_editor_applies_a_command', async () => {
    await page.selectOption('#set-synchronous_commit', 'remote_apply');
    await page.waitForFunction(() => document.querySelector('.log')?.textContent.includes('synchronous_commit = remote_apply'), null, { timeout: 10000 });
    if (!decodeURIComponent(page.url()).includes('action = "set"')) throw new Error('the setting is not in the URL command log');
    // Fields show current values; Patroni's timings are one group with one Apply (Enter in a
    // field applies it too). A refused group is explained beside it, and what was typed stays
    // in its fields to be corrected.
    if ((await page.inputValue('#set-ttl')) !== '30') throw new Error(`ttl shows ${await page.inputValue('#set-ttl')}`);
    await page.fill('#set-ttl', '5');
    await page.press('#set-ttl', 'Enter');
    await page.waitForFunction(() => document.querySelector('#err-patroni')?.textContent.length > 0, null, { timeout: 5000 });
    const why = await page.textContent('#err-patroni');
    if (!why.includes('ttl')) throw new Error(`inline error: ${why}`);
    if ((await page.inputValue('#set-ttl')) !== '5') throw new Error('the refused value was thrown away');
    if ((await page.getAttribute('#set-ttl', 'aria-describedby')) !== 'err-patroni') throw new Error('the error is not tied to its fields');
    await page.fill('#set-ttl', '30');
    await page.click('#apply-patroni');
    await page.waitForFunction(() => !document.querySelector('#err-patroni')?.textContent, null, { timeout: 5000 });
  });
  await step('charts_show_latency_lag_throughput_and_loss', async () => {
    await page.$eval('#scrubber', (el) => { el.value = '90000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.waitForFunction(() => document.querySelector('#clock')?.textContent.startsWith('90.0 s'), null, { timeout: 20000 });
    // A line breaks where the run has no value (a node down): count the points of all its runs.
    for (const id of ['chart-throughput', 'chart-latency', 'chart-lag', 'chart-lag-bytes', 'chart-lost']) {
      const pts = await page.$$eval(`#${id} polyline`, (ps) => ps.map((p) => p.getAttribute('points').trim()).join(' '));
      if (!pts || pts.trim().split(' ').length < 5) throw new Error(`${id} has no line: ${pts}`);
    }
    // Failures and losses are drawn in the warning colour, and the charts share one size.
    const failed = await page.$$eval('#chart-throughput polyline', (ps) => ps.map((p) => p.getAttribute('stroke')));
    if (failed[1] !== 'var(--bad)') throw new Error(`the failed-commits line is ${failed[1]}`);
    const widths = await page.$$eval('figure.chart', (fs) => fs.map((f) => f.getBoundingClientRect().width));
    if (Math.max(...widths) > Math.min(...widths) * 1.2) throw new Error(`charts differ in size: ${widths}`);
  });
  await step('event_log_filters_compact_trace_lines', async () => {
    await page.fill('#log-filter', 'promoted');
    await page.waitForFunction(() => { const li = [...document.querySelectorAll('.log li')]; return li.length > 0 && li.every((x) => x.textContent.includes('promoted')); }, null, { timeout: 10000 });
    await page.fill('#log-filter', '');
    await page.check('#log-all');
    await page.waitForFunction(() => [...document.querySelectorAll('.log li')].some((x) => /\d+\/[0-9A-F]+/.test(x.textContent)), null, { timeout: 10000 });
    await page.uncheck('#log-all');
  });
  await step('clicking_a_link_cuts_it', async () => {
    await page.locator('g[data-link="pg3-dcs"] line.hit').click({ force: true });
    await page.click('#cut-link');
    await page.waitForSelector('g[data-link="pg3-dcs"] line.link.cut', { timeout: 10000 });
    if (!decodeURIComponent(page.url()).includes('action = "partition"')) throw new Error('the cut is not in the URL command log');
    await shot('06-link-cut');
  });
  await step('pitr_drag_target_restore_and_see_the_branch', async () => {
    await page.selectOption('#scenario', '08a-drop-table-pitr.toml');
    await page.waitForFunction(() => document.querySelector('h2')?.textContent.includes('DROP TABLE'));
    await page.$eval('#scrubber', (el) => { el.value = '250000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.waitForFunction(() => document.querySelector('#clock')?.textContent.startsWith('250.0 s'), null, { timeout: 30000 });
    await page.$eval('#pitr-target', (el) => { el.value = '190000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.waitForFunction(() => document.querySelector('#pitr-target-text')?.textContent.startsWith('2026-11-25 14:03:10'), null, { timeout: 10000 });
    const preview = await page.textContent('#pitr-preview');
    if (!/\d+ rows/.test(preview)) throw new Error(`preview should list rows before the DROP: ${preview}`);
    if (await page.locator('#pitr-warning').count()) throw new Error('a warning for a target the archive covers');
    // A target in WAL not yet archived: the preview warns that recovery would stop short.
    await page.$eval('#pitr-target', (el) => { el.value = '249000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.waitForSelector('#pitr-warning', { timeout: 10000 });
    if (!(await page.textContent('#pitr-warning')).includes('recovery ended before configured recovery target')) throw new Error('the warning does not say what PostgreSQL says');
    // The DROP is marked on the WAL strip; snapping to it types its xid, not inclusive.
    if ((await page.locator('#wal-strip g.mistake').count()) !== 1) throw new Error('the DROP is not marked on the WAL strip');
    await page.getByRole('button', { name: /just before the DROP TABLE/ }).click();
    await page.waitForSelector('#pitr-typed', { timeout: 10000 });
    if ((await page.$eval('#pitr-kind', (e) => e.value)) !== 'recovery_target_xid') throw new Error('snapping did not choose an xid target');
    if (await page.isChecked('#pitr-inclusive')) throw new Error('snapping before the DROP left inclusive on');
    if (!/\d+ rows/.test(await page.textContent('#pitr-preview'))) throw new Error('the snapped target does not bring the table back');
    // A typed target that is not one is refused beside the field, and Restore is not offered.
    await page.fill('#pitr-typed', 'abc');
    await page.waitForFunction(() => document.querySelector('#pitr-typed-error')?.textContent.includes('not a transaction ID'), null, { timeout: 10000 });
    if (!(await page.isDisabled('#pitr-restore'))) throw new Error('Restore offered for a bad target');
    await page.selectOption('#pitr-kind', '');
    await page.$eval('#pitr-target', (el) => { el.value = '190000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.waitForFunction(() => !document.querySelector('#pitr-warning'), null, { timeout: 10000 });
    await page.check('#pitr-inclusive');
    await page.click('#pitr-restore');
    await page.waitForSelector('#timeline-tree g[data-timeline="2"]', { timeout: 10000 });
    // The restore takes simulated time: the base backup is copied, then WAL is replayed.
    await page.waitForSelector('#restore-progress progress#restore-load', { timeout: 10000 });
    await shot('07-pitr-restoring');
    await page.click('#play');
    await page.waitForSelector('#restore-progress progress#restore-replay', { timeout: 30000 });
    await page.waitForSelector('#restored-table tbody tr', { timeout: 30000 });
    await page.click('#pause');
    await page.waitForSelector('#sla-gauges svg[data-gauge="rpo"]', { timeout: 10000 });
    await page.waitForSelector('#sla-gauges svg[data-gauge="rto"][data-met="true"]', { timeout: 10000 });
    await shot('08-pitr-restored');
  });
  await step('pitr_restore_at_the_end_of_the_run_finishes', async () => {
    // The chapter's task: play to the end, then restore to just before the DROP. Three restores
    // have branched timelines 2-4 by then; the DROP on timeline 1 stays marked and snappable.
    await page.goto('about:blank');
    await page.goto(`${base}#file=08a-drop-table-pitr.toml`);
    await page.waitForSelector('#scrubber', { timeout: 30000 });
    await page.$eval('#scrubber', (el) => { el.value = el.max; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.waitForFunction(() => document.querySelector('#clock')?.textContent.startsWith('360.0 s'), null, { timeout: 60000 });
    if ((await page.locator('#wal-strip g.mistake').count()) !== 1) throw new Error('the DROP is not marked at the end of the run');
    // Choosing a kind of target shows its box at once.
    await page.selectOption('#pitr-kind', 'recovery_target_lsn');
    await page.waitForSelector('#pitr-typed', { timeout: 10000 });
    await page.getByRole('button', { name: /just before the DROP TABLE/ }).click();
    await page.waitForFunction(() => /\d+ rows/.test(document.querySelector('#pitr-preview')?.textContent || ''), null, { timeout: 10000 });
    const warning = await page.locator('#pitr-warning').count() ? await page.textContent('#pitr-warning') : '';
    if (warning.includes('missing from the archive')) throw new Error(`a segment not yet archived is called missing: ${warning}`);
    await page.click('#pitr-restore');
    await page.waitForSelector('#restore-progress', { timeout: 10000 });
    await shot('08a-end-restoring');
    await page.click('#play');
    await page.waitForSelector('#restored-table tbody tr', { timeout: 60000 });
    await page.click('#pause').catch(() => {});
    const preview = await page.textContent('#pitr-preview');
    if (!preview.startsWith('A further restore')) throw new Error(`the preview after a restore reads as its verdict: ${preview}`);
    // Four timelines by now, the newest branching at the right: no label is cut at an edge.
    const cut = await cutLabels('section.pitr');
    if (cut.length) throw new Error(`labels cut off at the edge of the PITR panel: ${cut.join(', ')}`);
    await shot('08a-end-restored');
  });
  await step('dr_drill_reports_each_disaster_against_the_sla', async () => {
    await page.selectOption('#scenario', '08g-strategy-misses-sla.toml');
    await page.waitForFunction(() => document.querySelector('h2')?.textContent.length > 0);
    await page.click('#drill-run');
    await page.waitForSelector('#drill-table tbody tr', { timeout: 60000 });
    const text = await page.textContent('#drill-table');
    if (!text.includes('region') || !text.includes('unbounded')) throw new Error(`the drill should show the lost region as unrecoverable: ${text}`);
    await shot('09-drill');
  });
  await step('sharding_change_key_see_heatmap_and_reshard', async () => {
    await page.selectOption('#scenario', '10b-good-shard-key.toml');
    await page.waitForSelector('#heatmap[data-hot="none"]', { timeout: 30000 });
    // A hash ring cannot split one shard: no Split button is offered.
    if (await page.locator('button.split').count()) throw new Error('Split offered on a ring placement');
    await page.selectOption('#shard-key', 'tenant_id');
    await page.waitForFunction(() => { const h = document.querySelector('#heatmap')?.getAttribute('data-hot'); return h && h !== 'none'; }, null, { timeout: 30000 });
    // The learner changed the lesson's run: its goals compare with the lesson's run, neutrally.
    await page.waitForFunction(() => document.querySelector('#goals-heading')?.textContent.includes('against the lesson'), null, { timeout: 10000 });
    const compared = await page.$$eval('.goals li', (ls) => ls.map((l) => l.className));
    if (!compared.includes('differs') || compared.includes('failed')) throw new Error(`a changed run's goals: ${compared}`);
    await page.selectOption('#query-column', 'tenant_id');
    await page.fill('#query-value', '42');
    await page.press('#query-value', 'Enter');
    await page.click('#route');
    await page.waitForFunction(() => document.querySelector('#route-why')?.textContent.includes('single-shard'), null, { timeout: 10000 });
    // A value that is not a key is refused beside the field, which returns to the routed value.
    await page.fill('#query-value', '-5');
    await page.press('#query-value', 'Enter');
    await page.waitForFunction(() => document.querySelector('#query-error')?.textContent.includes('-5'), null, { timeout: 5000 });
    if ((await page.inputValue('#query-value')) !== '42') throw new Error(`the field shows ${await page.inputValue('#query-value')} after a refused value`);
    if (await page.locator('#shard-map tr.touched').count() !== 1) throw new Error('one shard should be highlighted for a shard-key query');
    await page.$eval('#shard-cursor', (el) => { el.value = '10000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.click('#add-shard');
    await page.waitForSelector('#reshard-progress', { timeout: 30000 });
    await page.$eval('#shard-cursor', (el) => { el.value = '10020'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.waitForSelector('#reshard-progress[data-phase="copy"]', { timeout: 10000 });
    await page.waitForSelector('#hash-ring circle.key.moving', { timeout: 10000 });
    await shot('10-sharding-reshard');
    await page.$eval('#shard-cursor', (el) => { el.value = '39000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.waitForSelector('#reshard-progress[data-phase="done"]', { timeout: 10000 });
    if (await page.locator('#shard-map tbody tr').count() !== 5) throw new Error('the shard map should list 5 shards after adding one');
    if (!decodeURIComponent(page.url()).includes('action = "reshard"')) throw new Error(`the reshard command is not in the link: ${decodeURIComponent(page.url())}`);
    await page.reload();
    await page.waitForSelector('#reshard-progress[data-phase="done"]', { timeout: 30000 });
    await shot('11-sharding-reloaded');
    // A bad part of a sharding link is named too, and the link is kept.
    await page.goto('about:blank');
    await page.goto(base + 'shard.html#file=10b-good-shard-key.toml&seed=abc');
    await page.waitForSelector('#link-problem', { timeout: 30000 });
    if (!(await page.textContent('#link-problem')).includes('seed')) throw new Error('the bad seed is not named');
    if (!page.url().includes('seed=abc')) throw new Error(`the sharding link was overwritten: ${page.url()}`);
  });
  await step('many_shards_stay_readable', async () => {
    await page.goto('about:blank');
    await page.goto(`${base}shard.html#file=10d-time-range-hotspot.toml`);
    await page.waitForSelector('#heatmap', { timeout: 30000 });
    await page.selectOption('#shard-count', '64');
    await page.waitForFunction(() => document.querySelectorAll('#heatmap text.tick').length < 40 && document.querySelector('#shard-map-details'), null, { timeout: 30000 });
    // One list and at most two buttons instead of a button per shard.
    const buttons = await page.locator('button.split, button.move-range').count();
    if (buttons > 2 || !(await page.locator('#reshard-shard option').count())) throw new Error(`${buttons} reshard buttons for 64 shards`);
    // One sequential scale: the busiest cells are the darkest, whatever the shard.
    const fills = await page.$$eval('#heatmap rect', (rs) => rs.map((r) => r.getAttribute('fill')));
    if (!fills.length || fills.some((f) => !/^rgb\(/.test(f))) throw new Error(`heatmap fills: ${fills.slice(0, 5)}`);
    if (await page.locator('#shard-map-details[open]').count()) throw new Error('the 64-row table is not folded');
  });
  await step('crash_one_shards_primary_and_only_its_writes_stop', async () => {
    await page.goto('about:blank');
    await page.goto(`${base}shard.html#file=10b-good-shard-key.toml`);
    await page.waitForSelector('#heatmap', { timeout: 30000 });
    if (await page.locator('#heatmap rect.refused').count()) throw new Error('writes refused before any crash');
    await page.$eval('#shard-cursor', (el) => { el.value = '10000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.click('#crash-shard-1');
    await page.waitForSelector('#shard-log', { timeout: 60000 });
    const refused = await page.$$eval('#heatmap rect.refused title', (ts) => [...new Set(ts.map((t) => t.textContent.match(/shard (\d+)/)[1]))]);
    if (JSON.stringify(refused) !== '["1"]') throw new Error(`shards refusing writes: ${JSON.stringify(refused)}`);
    // Scrubbing shows each shard's cluster at the cursor: shard 1 has no primary after the crash.
    await page.$eval('#shard-cursor', (el) => { el.value = '30000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.waitForFunction(() => document.querySelectorAll('#shard-ha .primary-now')[1]?.textContent.startsWith('none'), null, { timeout: 10000 });
    const others = await page.$$eval('#shard-ha .primary-now', (ts) => ts.map((t) => t.textContent));
    if (others.filter((t) => t.startsWith('none')).length !== 1) throw new Error(`primaries at 30 s: ${others}`);
    const url = page.url();
    if (!decodeURIComponent(url).includes('crash_host')) throw new Error(`the link lacks the crash: ${url}`);
    await page.goto('about:blank');
    await page.goto(url);
    await page.waitForSelector('#shard-log', { timeout: 60000 });
    // Fork before the crash: it is dropped, and no shard refuses writes.
    await page.$eval('#shard-cursor', (el) => { el.value = '5000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.click('#shard-fork');
    await page.waitForFunction(() => !document.querySelector('#shard-log'), null, { timeout: 60000 });
    if (await page.locator('#heatmap rect.refused').count()) throw new Error('writes still refused after forking away the crash');
  });
  await step('every_sharding_lesson_loads_and_reports', async () => {
    const files = await page.$$eval('#scenario optgroup[label*="Sharding"] option', (os) => os.map((o) => o.value));
    if (files.length < 5) throw new Error(`only ${files.length} sharding lessons in the picker`);
    // The lesson on screen last, so that choosing each one changes the page.
    const current = await page.$eval('#scenario', (e) => e.value);
    for (const f of files.filter((x) => x !== current).concat(files.includes(current) ? [current] : [])) {
      const before = await page.$eval('#shard-findings', (e) => e.textContent).catch(() => '');
      await page.selectOption('#scenario', f);
      await page.waitForFunction((prev) => { const t = document.querySelector('#shard-findings')?.textContent; return t && t !== prev; }, before, { timeout: 30000 })
        .catch(async (e) => { throw new Error(`${f}: the findings did not change (${await page.textContent('main').catch(() => '?')})`.slice(0, 600)); });
      const goals = await page.$$eval('.goals li.pending, .goals li.failed', (ls) => ls.map((l) => l.textContent));
      if (goals.length) throw new Error(`${f}: goals not met: ${goals.join('; ')}`);
    }
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  });
  await step('keys_stay_with_the_focused_control', async () => {
    await page.setViewportSize({ width: 1100, height: 1000 });
    await page.goto(base + '#file=01-async-failover.toml');
    await page.waitForFunction(() => document.querySelector('h2')?.textContent.includes('Async replication'), null, { timeout: 30000 });
    const clock = await page.textContent('#clock');
    // The picker shows titles, grouped by the course's chapters.
    const opt = await page.$eval('#scenario option[value="01-async-failover.toml"]', (o) => [o.textContent, o.parentElement.label]);
    if (!opt[0].startsWith('Async replication') || !opt[1].startsWith('09')) throw new Error(`picker entry: ${opt}`);
    // Space on a speed button presses that button; it does not start playback.
    await page.getByRole('button', { name: '10×' }).focus();
    await page.keyboard.press('Space');
    await page.waitForSelector('button.speed.on:has-text("10×")');
    if (await page.locator('#pause').count()) throw new Error('space on a button started playback');
    // Letters typed on the lesson picker do not move time. (The key is dispatched to the picker
    // rather than typed: a typed letter also picks the first lesson whose title starts with it,
    // as every select does — 11i's "LEFT JOIN: …" for `l`.)
    await page.focus('#scenario');
    await page.dispatchEvent('#scenario', 'keydown', { key: 'l' });
    if ((await page.textContent('#clock')) !== clock) throw new Error('a key on the picker moved time');
    // On the page itself the shortcuts work.
    await page.focus('main.app');
    await page.keyboard.press('l');
    await page.waitForFunction((c) => document.querySelector('#clock').textContent !== c, clock);
  });
  await step('a_bad_link_part_is_named_and_the_rest_kept', async () => {
    await page.goto('about:blank');
    await page.goto(base + '#file=05-multi-region.toml&seed=abc');
    await page.waitForSelector('#link-problem', { timeout: 30000 });
    const text = await page.textContent('#link-problem');
    if (!text.includes('seed') || !text.includes('abc')) throw new Error(`banner: ${text}`);
    await page.waitForFunction(() => document.querySelector('h2')?.textContent.includes('Multi-region'));
    if (!page.url().includes('seed=abc')) throw new Error(`the link was overwritten: ${page.url()}`);
    // A link pasted into the open tab (only the hash changes) opens it.
    await page.evaluate(() => { location.hash = '#file=01-async-failover.toml'; });
    await page.waitForFunction(() => document.querySelector('h2')?.textContent.includes('Async replication'), null, { timeout: 30000 });
    // One command that cannot apply (a node the lesson lacks) is named and left out; the link's
    // other commands are kept, and so is the link itself.
    const mixed = encodeURIComponent('{ at = "5s", action = "crash_host", node = "pg9" },{ at = "10s", action = "crash_host", node = "pg1" }');
    await page.goto('about:blank');
    await page.goto(`${base}#file=01-async-failover.toml&t=20000&log=${mixed}`);
    await page.waitForFunction(() => (document.querySelector('#link-problem')?.textContent || '').includes('pg9'), null, { timeout: 30000 });
    await page.waitForSelector('g[data-node="pg1"][data-role="host down"]', { timeout: 30000 });
    if (!decodeURIComponent(page.url()).includes('pg9')) throw new Error(`the link was rewritten: ${page.url()}`);
    // While a link opens, a click cannot land at the replay's time: it is refused, with why.
    await page.goto('about:blank');
    await page.goto(`${base}#file=11b-million-users-pgbouncer.toml&t=45000`);
    await page.waitForSelector('#working', { timeout: 30000 });
    const clicked = await page.evaluate(() => { if (!document.querySelector('#working')) return false; document.querySelector('#play').click(); return true; });
    if (!clicked) throw new Error('the link opened before it could be clicked');
    await page.waitForFunction(() => (document.querySelector('#toast')?.textContent || '').includes('Wait until it is open'), null, { timeout: 10000 });
    await page.waitForFunction(() => document.querySelector('#clock')?.textContent.startsWith('45.0 s'), null, { timeout: 60000 });
    // A command given before a later one of the learner's says what it dropped, and Undo brings it back.
    await page.goto('about:blank');
    await page.goto(`${base}#file=01-async-failover.toml&t=5000&log=${encodeURIComponent('{ at = "10s", action = "crash_host", node = "pg1" }')}`);
    await page.waitForFunction(() => document.querySelector('#clock')?.textContent.startsWith('5.0 s'), null, { timeout: 30000 });
    await node('pg2').click();
    await page.click('#crash-host');
    await page.waitForFunction(() => (document.querySelector('#notice')?.textContent || '').includes('dropped 1 later command'), null, { timeout: 10000 });
    await page.click('#undo');
    await page.waitForFunction(() => !document.querySelector('#working') && document.querySelector('#clock')?.textContent.startsWith('5.0 s'), null, { timeout: 30000 });
    if (!decodeURIComponent(page.url()).includes('node = "pg1"') || decodeURIComponent(page.url()).includes('node = "pg2"')) throw new Error(`undo did not bring back the log: ${decodeURIComponent(page.url())}`);
    // A link to a file that was opened from the learner's computer says so and keeps a way on.
    await page.goto('about:blank');
    await page.goto(base + '#file=my-own-lesson.toml&seed=3');
    await page.waitForSelector('#link-problem', { timeout: 30000 });
    if (!(await page.textContent('#link-problem')).includes('my-own-lesson.toml')) throw new Error('the local file is not named');
    await page.waitForSelector('#scenario', { timeout: 30000 });
  });
  await step('goals_are_judged_in_their_time_and_a_shown_violation_reads_so', async () => {
    await page.goto('about:blank');
    await page.goto(base + '#file=04b-dcs-partition-no-fencing.toml');
    await page.waitForSelector('.goals li', { timeout: 30000 });
    // At t = 0 no figure is judged yet.
    const early = await page.$$eval('.goals li', (ls) => ls.map((l) => [l.className, l.textContent]));
    if (early.some(([c, t]) => c === 'ok' && t.includes('(expected '))) throw new Error(`a figure judged at t = 0: ${JSON.stringify(early)}`);
    // Goals read as prose: no raw keys, no interval notation.
    if (early.some(([, t]) => /_|\[|‰/.test(t))) throw new Error(`raw keys in the goals: ${JSON.stringify(early)}`);
    if (!(await page.textContent('#goals-heading')).includes('judged when the run ends')) throw new Error('the heading does not say when goals are judged');
    if (!early.some(([c, t]) => c === 'pending' && t.includes('judged at the end'))) throw new Error(`no pending figure: ${JSON.stringify(early)}`);
    await page.getByRole('button', { name: '1000×' }).click();
    await page.click('#play');
    await page.waitForSelector('.goals li.violated-expected', { timeout: 60000 });
    const shown = await page.textContent('.goals li.violated-expected');
    if (!shown.includes('broken, as the lesson shows') || shown.includes('✗')) throw new Error(`violated goal reads: ${shown}`);
    // The end of the run is announced, and the goals are judged then.
    await page.waitForFunction(() => document.querySelector('#goals-heading')?.textContent.includes('the run has ended'), null, { timeout: 60000 });
    const late = await page.$$eval('.goals li', (ls) => ls.map((l) => l.className));
    if (late.includes('pending') || late.includes('failed')) throw new Error(`goals at the end: ${late}`);
    await page.click('#pause').catch(() => {});
  });
  await step('what_lessons_say_to_watch_is_on_the_diagram', async () => {
    await page.goto('about:blank');
    await page.goto(base + '#file=02-sync-failover.toml');
    await node('pg1').waitFor({ timeout: 30000 });
    await page.$eval('#scrubber', (el) => { el.value = '20000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.waitForFunction(() => document.querySelector('#clock')?.textContent.startsWith('20.0 s'));
    const states = await page.$$eval('text.sync', (ts) => ts.map((t) => t.textContent).sort());
    if (JSON.stringify(states) !== JSON.stringify(['async', 'sync'])) throw new Error(`sync_state on the arcs: ${JSON.stringify(states)}`);
    const key = await page.textContent('#leader-key');
    if (!/^leader pg1: \d+\.\d s left$/.test(key)) throw new Error(`leader key: ${key}`);
    if (!(await page.textContent('g[data-infra="dcs"]')).includes('/sync: pg')) throw new Error('no /sync member on the DCS');
    if ((await page.locator('g[data-disk]').count()) !== 3) throw new Error('not every node shows its disk');
    const title = await page.textContent('section.invariants h3');
    if (title !== 'Invariants') throw new Error(`the invariants panel is titled ${title}`);
    // After the crash at 30 s and the failover, the window without writes is shown.
    await page.$eval('#scrubber', (el) => { el.value = '100000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.waitForSelector('#failover-window', { timeout: 30000 });
    const window = await page.textContent('#failover-window');
    if (!/writes unavailable for \d+\.\d s/.test(window)) throw new Error(`failover window: ${window}`);
  });
  await step('a_migration_is_driven_from_its_panel', async () => {
    // The main page sends a migration lesson to the migrations page, whose panel runs a
    // statement, ends a session and draws the steps' time line.
    await page.goto('about:blank');
    await page.goto(base + '#file=12a-lock-queue-pileup.toml');
    await page.waitForURL(/migrate\.html#/, { timeout: 30000 });
    await page.locator('#run-ddl').waitFor({ timeout: 30000 });
    await page.$eval('#scrubber', (el) => { el.value = '20000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.waitForFunction(() => document.querySelector('#clock')?.textContent.startsWith('20.0 s'), null, { timeout: 30000 });
    const before = await page.textContent('#lock-queue-now');
    if (!/^[1-9]/.test(before)) throw new Error(`at 20 s the ALTER's queue: ${before}`);
    if ((await page.locator('#steps-timeline svg rect.missed').count()) < 1) throw new Error('the waiting step is not drawn on the time line');
    await page.click('#terminate-4100');
    // The session ends at the cursor; a second later the ALTER has run and the queue is empty.
    await page.waitForFunction(() => location.hash.includes('terminate_backend'), null, { timeout: 30000 });
    await page.$eval('#scrubber', (el) => { el.value = '22000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.waitForFunction(() => document.querySelector('#clock')?.textContent.startsWith('22.0 s'), null, { timeout: 30000 });
    const after = await page.textContent('#lock-queue-now');
    if (!after.startsWith('0 requests')) throw new Error(`after pg_terminate_backend(4100) the queue: ${after}; ${await page.textContent('#migration-steps')}`);
    if (!(await page.evaluate(() => location.hash)).includes('terminate_backend')) throw new Error('the click is not in the link');
    await page.fill('#run-ddl-sql', 'CREATE INDEX CONCURRENTLY accounts_email ON accounts (email)');
    await page.click('#run-ddl');
    await page.waitForFunction(() => document.querySelectorAll('#migration-steps tbody tr').length === 2, null, { timeout: 30000 });
    // A statement the reader refuses is an error naming its argument; the lesson stays.
    await page.fill('#run-ddl-sql', 'DROP DATABASE x');
    await page.click('#run-ddl');
    await page.waitForFunction(() => (document.querySelector('#toast')?.textContent || '').includes('sql'), null, { timeout: 10000 });
    if ((await page.locator('#migration-steps tbody tr').count()) !== 2) throw new Error('a refused statement became a step');
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  });
  await step('every_watch_item_points_at_what_is_shown', async () => {
    // Every lesson, played to its end (and drilled, where its point is the drill): each element a
    // `watch` item names is on the page and visible.
    const visible = async (f, names) => {
      for (const name of names) {
        const el = page.locator(`[data-view="${name}"]`).first();
        if (!(await el.count()) || !(await el.isVisible())) throw new Error(`${f}: watch item points at ${name}, which is not shown`);
      }
    };
    const itemsOf = () => page.$$eval('ul.watch li', (ls) => ls.map((l) => (l.dataset.shows || '').split(' ').filter(Boolean)));
    await page.goto('about:blank');
    await page.goto(base);
    await node('pg1').waitFor({ timeout: 30000 });
    const mains = await page.$$eval('#scenario optgroup[label^="09"] option, #scenario optgroup[label^="11 · Connection"] option, #scenario optgroup[label^="12"] option', (os) => os.map((o) => o.value));
    if (mains.length < 15) throw new Error(`only ${mains.length} lessons`);
    for (const f of mains) {
      await page.goto('about:blank');
      await page.goto(`${base}#file=${f}`);
      await page.waitForSelector('ul.watch li', { timeout: 30000 });
      const items = await itemsOf();
      if (items.some((s) => s.length === 0)) throw new Error(`${f}: a watch item names no element`);
      const names = [...new Set(items.flat())];
      await page.$eval('#scrubber', (el) => { el.value = el.max; el.dispatchEvent(new Event('input', { bubbles: true })); });
      await page.waitForFunction(() => { const t = document.querySelector('#clock')?.textContent || ''; const [a, b] = t.split(' / '); return parseFloat(a) >= parseFloat(b) - 0.05; }, null, { timeout: 120000 });
      if (names.includes('drill-table')) {
        await page.click('#drill-run');
        await page.waitForSelector('#drill-table', { timeout: 120000 });
        // The drill's verdict is one of the goals: a miss the lesson shows reads so, in red.
        const verdict = await page.$$eval('.goals li', (ls) => ls.map((l) => [l.className, l.dataset.goal]).filter(([, g]) => g === 'drill_sla'));
        const want = f.startsWith('08g') ? 'violated-expected' : 'ok';
        if (verdict.length !== 1 || verdict[0][0] !== want) throw new Error(`${f}: drill goal ${JSON.stringify(verdict)}`);
      }
      await visible(f, names);
    }
    const shards = await page.$$eval('#scenario optgroup[label^="10"] option', (os) => os.map((o) => o.value));
    for (const f of shards) {
      await page.goto('about:blank');
      await page.goto(`${base}shard.html#file=${f}`);
      await page.waitForSelector('#shard-findings', { timeout: 30000 });
      const items = await itemsOf();
      if (!items.length || items.some((s) => s.length === 0)) throw new Error(`${f}: a watch item names no element`);
      await visible(f, [...new Set(items.flat())]);
    }
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  });
  await step('a_global_error_is_a_toast_in_view_and_keeps_the_lesson', async () => {
    await page.goto('about:blank');
    await page.goto(`${base}#file=01-async-failover.toml`);
    await node('pg1').waitFor({ timeout: 30000 });
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.setInputFiles('#open', { name: 'broken.toml', mimeType: 'text/plain', buffer: Buffer.from('[lesson]\ntitle = "x"\n[run]\nduration = 5\n') });
    const toast = page.locator('#toast');
    await toast.waitFor({ timeout: 10000 });
    const text = await toast.textContent();
    if (!text.includes('broken.toml:4')) throw new Error(`the error does not name file:line: ${text}`);
    const box = await toast.boundingBox();
    const vp = page.viewportSize();
    if (!box || box.y < 0 || box.y + box.height > vp.height) throw new Error(`the toast is off-screen: ${JSON.stringify(box)}`);
    // The lesson on screen stays.
    if (!(await page.textContent('h2')).includes('Async replication')) throw new Error('the lesson was lost');
    await page.click('#toast-close');
    await page.waitForSelector('#toast', { state: 'detached', timeout: 5000 });
  });
  await step('long_work_runs_in_slices_with_progress', async () => {
    // A link with 20,000 commands opens with progress shown, and the page answers meanwhile.
    const log = [];
    for (let i = 0; i < 20000; i++) log.push(`{ at = "${i * 5}ms", action = "heal" }`);
    const link = `${base}#file=01-async-failover.toml&seed=3&t=110000&log=${encodeURIComponent(log.join(','))}`;
    await page.goto('about:blank');
    const t0 = Date.now();
    await page.goto(link);
    await page.waitForSelector('#working', { timeout: 60000 });
    const status = await page.textContent('#working');
    if (!/Opening the link: \d+ of 20000 commands/.test(status)) throw new Error(`progress reads: ${status}`);
    await page.waitForFunction(() => document.querySelector('#clock')?.textContent.startsWith('110.0 s') && !document.querySelector('#working'), null, { timeout: 300000 });
    longTasks.push(['a 20,000-command link', await longest(), Date.now() - t0]);
    // The link stays shareable: the URL still carries every command.
    await page.waitForFunction(() => location.hash.includes('t=110000') && location.hash.length > 1000000, null, { timeout: 10000 });
    // A 200 KB link of restores (each keeps its restored table and its timeline's history; a
    // run keeps 64 and refuses the rest), and one of 200 KB of bad entries (ten are named, the
    // rest counted): both open in slices, and the notice stays a few lines.
    const many = (entry) => { const out = []; let bytes = 0; for (let i = 0; bytes < 200000; i++) { out.push(entry(i)); bytes += out[i].length + 1; } return encodeURIComponent(out.join(',')); };
    await page.goto('about:blank');
    const t3 = Date.now();
    await page.goto(`${base}#file=08a-drop-table-pitr.toml&t=60000&log=${many((i) => `{ at = "${300 + i}s", action = "pitr_restore" }`)}`);
    await page.waitForFunction(() => (document.querySelector('#clock')?.textContent || '').startsWith('60.0 s') && !document.querySelector('#working'), null, { timeout: 120000 });
    longTasks.push(['a 200 KB link of restores', await longest(), Date.now() - t3]);
    await page.goto('about:blank');
    const t4 = Date.now();
    await page.goto(`${base}#file=01-async-failover.toml&t=60000&log=${many(() => '{ at = "5s", action = "crash_host", node = "pg9" }')}`);
    await page.waitForFunction(() => (document.querySelector('#clock')?.textContent || '').startsWith('60.0 s') && !document.querySelector('#working'), null, { timeout: 120000 });
    longTasks.push(['a 200 KB link of bad entries', await longest(), Date.now() - t4]);
    const notice = await page.textContent('#link-problem');
    if (notice.length > 3000 || !/and \d+ more like these/.test(notice)) throw new Error(`the notice of a link of bad entries is ${notice.length} characters: ${notice.slice(0, 300)}`);
    // A far seek into new time, then a DR drill: both in slices.
    await page.goto('about:blank');
    await page.goto(`${base}#file=08g-strategy-misses-sla.toml`);
    await node('pg1').waitFor({ timeout: 30000 });
    const t1 = Date.now();
    await page.$eval('#scrubber', (el) => { el.value = el.max; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.waitForFunction(() => { const [a, b] = (document.querySelector('#clock')?.textContent || '').split(' / '); return parseFloat(a) >= parseFloat(b) - 0.05; }, null, { timeout: 300000 });
    longTasks.push(['a seek to the end of 1 h 25 min', await longest(), Date.now() - t1]);
    const t2 = Date.now();
    await page.click('#drill-run');
    await page.waitForSelector('#working', { timeout: 10000 });
    await page.waitForSelector('#drill-table', { timeout: 300000 });
    longTasks.push(['a DR drill', await longest(), Date.now() - t2]);
    for (const [what, ms, took] of longTasks) console.log(`longest task while ${what}: ${ms} ms (done in ${took} ms)`);
  });
  await step('the_diagram_shows_a_dead_primarys_arcs_as_cut', async () => {
    await page.goto('about:blank');
    await page.goto(base + '#file=01-async-failover.toml');
    await node('pg1').waitFor({ timeout: 30000 });
    const primary = await page.textContent('g[data-role="primary"]');
    if (primary.includes('replay')) throw new Error(`a primary shows a replay position: ${primary}`);
    if (await page.locator('path.repl.cut').count()) throw new Error('an arc is cut before any fault');
    await node('pg1').click();
    await page.click('#crash-host');
    await page.waitForSelector('g[data-node="pg1"][data-role="host down"]', { timeout: 10000 });
    const cut = await page.locator('path.repl.cut').count();
    if (cut < 2) throw new Error(`only ${cut} replication arcs drawn as cut after the primary's host died`);
  });
  await step('a_failure_injected_with_the_keyboard_alone', async () => {
    await page.goto('about:blank');
    await page.goto(base + '#file=01-async-failover.toml');
    await node('pg1').waitFor({ timeout: 30000 });
    // On a fresh load the keys work at once, with no Tab into the page first.
    await page.keyboard.press('?');
    await page.waitForSelector('#keys-help', { timeout: 5000 });
    await page.keyboard.press('Escape');
    await page.waitForSelector('#keys-help', { state: 'detached', timeout: 5000 });
    // Tab to pg1, Enter, Tab to "Crash host", Enter.
    const tabTo = async (what, css) => {
      for (let i = 0; i < 120; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate((c) => document.activeElement?.matches(c), css)) return;
      }
      throw new Error(`${what} cannot be reached with Tab`);
    };
    await tabTo('pg1', '[data-node="pg1"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#crash-host', { timeout: 5000 });
    await tabTo('"Crash host"', '#crash-host');
    await page.keyboard.press('Enter');
    await page.waitForSelector('g[data-node="pg1"][data-role="host down"]', { timeout: 10000 });
    // The DCS link is reachable with Tab too: a DCS partition from the keyboard alone.
    await tabTo('the pg2-DCS link', '[data-link="pg2-dcs"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#cut-link', { timeout: 5000 });
    await page.focus('#cut-link');
    await page.keyboard.press('Enter');
    await page.waitForSelector('g[data-link="pg2-dcs"] line.link.cut', { timeout: 10000 });
    // The scrubber's arrow keys move by a step a person notices, not 1 ms.
    const before = parseFloat(await page.textContent('#clock'));
    await page.focus('#scrubber');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction((b) => parseFloat(document.querySelector('#clock').textContent) >= b + 0.1, before, { timeout: 10000 });
    // The event ticks share the scrubber's box: a tick lines up with its moment.
    const [s, m] = await page.evaluate(() => [document.querySelector('#scrubber').getBoundingClientRect(), document.querySelector('svg.marks').getBoundingClientRect()].map((r) => [r.left, r.width]));
    // (inset by half the thumb: the range input's own time axis)
    if (Math.abs(s[0] + 8 - m[0]) > 2 || Math.abs(s[1] - 16 - m[1]) > 2) throw new Error(`scrubber at ${s}, ticks at ${m}`);
  });
  await step('plan_page_outer_and_anti_joins', async () => {
    // 11i: a LEFT JOIN planned as PostgreSQL plans it, and a NOT EXISTS typed by the reader
    // pulled up into an anti join.
    await page.goto('about:blank');
    await page.goto(base + 'plan.html#file=11i-outer-joins.toml');
    await page.waitForFunction(() => document.querySelector('#current-plan .plan-node .node-title')?.textContent.includes('Hash Right Join'), null, { timeout: 30000 });
    await page.fill('#sql', 'SELECT a.id FROM accounts a WHERE NOT EXISTS (SELECT 1 FROM transfers t WHERE t.account_id = a.id)');
    await page.click('#run');
    await page.waitForFunction(() => document.querySelector('#current-plan .plan-node .node-title')?.textContent.includes('Hash Anti Join'), null, { timeout: 10000 });
    const text = await page.textContent('#explain-text');
    if (!text.includes('rows=4608 loops=1')) throw new Error(`the anti join's actual rows:\n${text}`);
    // An EXISTS typed by the reader is a semi join (or its inner side made unique).
    await page.fill('#sql', 'SELECT a.id FROM accounts a WHERE EXISTS (SELECT 1 FROM transfers t WHERE t.account_id = a.id AND t.amount > 9900)');
    await page.click('#run');
    await page.waitForFunction(() => /Semi Join|HashAggregate|Unique/.test(document.querySelector('#current-plan')?.textContent || ''), null, { timeout: 10000 });
  });
  await step('plan_page_not_in_subplan', async () => {
    // 11j: NOT IN over a subquery holding a NULL is a hashed SubPlan that returns nothing.
    await page.goto('about:blank');
    await page.goto(base + 'plan.html#file=11j-not-in-null.toml');
    await page.waitForFunction(() => [...document.querySelectorAll('#current-plan .plan-node .node-title')].some((n) => n.textContent.includes('SubPlan 1: Seq Scan on orders')), null, { timeout: 30000 });
    const text = await page.textContent('#explain-text');
    if (!text.includes('Filter: (NOT (hashed SubPlan 1))') || !text.includes('rows=0 loops=1')) throw new Error(`NOT IN's plan:\n${text}`);
    // 11k: a MATERIALIZED CTE is a CTE Scan under its InitPlan, in the tree and the text.
    await page.goto('about:blank');
    await page.goto(base + 'plan.html#file=11k-cte-materialized.toml&q=1');
    await page.waitForFunction(() => [...document.querySelectorAll('#current-plan .plan-node .node-title')].some((n) => n.textContent.includes('CTE paid: Seq Scan on orders')), null, { timeout: 30000 });
    const cte = await page.textContent('#explain-text');
    if (!cte.includes('CTE Scan on paid') || !cte.includes('\n  CTE paid\n')) throw new Error(`the materialized CTE's plan:\n${cte}`);
    // 11l: two workers and the leader aggregate a million rows, each its share.
    await page.goto('about:blank');
    const t0 = Date.now();
    await page.goto(base + 'plan.html#file=11l-parallel-workers.toml&q=1');
    await page.waitForFunction(() => [...document.querySelectorAll('#current-plan .plan-node .node-title')].some((n) => n.textContent.includes('Parallel Seq Scan on events')), null, { timeout: 30000 });
    console.log(`parallel lesson (10^6 rows) generated, planned and run in the page: ${Date.now() - t0} ms`);
    const par = await page.textContent('#explain-text');
    if (!par.includes('Workers Launched: 2') || !par.includes('Partial HashAggregate') || !par.includes('rows=333333 loops=3')) throw new Error(`the parallel plan:\n${par}`);
    // The what-if control: no workers, one process.
    await page.fill('#max_parallel_workers_per_gather', '0');
    await page.dispatchEvent('#max_parallel_workers_per_gather', 'change');
    await page.waitForFunction(() => { const t = document.querySelector('#explain-text')?.textContent || ''; return t.includes('HashAggregate') && !t.includes('Gather'); }, null, { timeout: 30000 });
    // A set operation typed by the reader: INTERSECT is a HashSetOp over tagged Subquery Scans,
    // in the tree as in the text.
    await page.fill('#sql', 'SELECT user_id FROM events WHERE kind = 3 AND amount < 10 INTERSECT SELECT id FROM users WHERE country = 7');
    await page.click('#run');
    await page.waitForFunction(() => [...document.querySelectorAll('#current-plan .plan-node .node-title')].some((n) => n.textContent.includes('HashSetOp Intersect')), null, { timeout: 30000 });
    const setop = await page.textContent('#explain-text');
    if (!setop.includes('Subquery Scan on "*SELECT* 1"') || !setop.includes('Subquery Scan on "*SELECT* 2"')) throw new Error(`the INTERSECT's plan:\n${setop}`);
  });
  await step('plan_page_explain_analyze_then_create_statistics', async () => {
    await page.setViewportSize({ width: 1100, height: 1000 });
    await page.goto(base + 'plan.html#file=11d-correlated-columns.toml');
    await page.waitForSelector('#current-plan .plan-node', { timeout: 30000 });
    const top = await page.textContent('#current-plan .plan-node .node-title');
    if (!top.includes('Nested Loop')) throw new Error(`the first plan starts with ${top}`);
    const text = await page.textContent('#explain-text');
    if (!text.includes('Rows Removed by Join Filter') || !text.includes('loops=')) throw new Error(`EXPLAIN text lacks instrumentation:\n${text}`);
    if (!(await page.locator('#current-plan .mis').count())) throw new Error('no misestimate badge on the 100x under-estimated scan');
    await page.click('#pin');
    await page.selectOption('select[name=what]', 'statistics');
    await page.selectOption('select[name=table]', 'people');
    await page.fill('#index-columns', 'zip, city');
    await page.click('#create');
    // CREATE STATISTICS alone changes nothing, and the page says ANALYZE is what fills it.
    await page.waitForFunction(() => (document.querySelector('#plan-pending')?.textContent || '').includes('ANALYZE people'), null, { timeout: 10000 });
    await page.click('#analyze');
    await page.waitForFunction(() => document.querySelector('#current-plan .plan-node .node-title')?.textContent.includes('Hash Join'), null, { timeout: 10000 });
    const pinned = await page.textContent('#pinned-plan .plan-node .node-title');
    if (!pinned.includes('Nested Loop')) throw new Error(`the pinned plan changed: ${pinned}`);
    const applied = await page.textContent('#applied');
    if (!applied.includes('CREATE STATISTICS') || !applied.includes('ANALYZE')) throw new Error(`applied changes: ${applied}`);
    // The lesson's best moment: the costlier plan by the estimate is the faster one, and why.
    const why = await page.textContent('#cost-vs-time');
    if (!why.includes('higher estimated cost') || !why.includes('faster')) throw new Error(`cost against time: ${why}`);
    await shot('06-plan-compare');
  });
  await step('plan_link_restores_and_bad_sql_is_shown', async () => {
    const url = page.url();
    if (!url.includes('do=')) throw new Error(`the link lacks the changes: ${url}`);
    await page.goto('about:blank');
    await page.goto(url);
    await page.waitForFunction(() => document.querySelector('#current-plan .plan-node .node-title')?.textContent.includes('Hash Join'), null, { timeout: 30000 });
    await page.fill('#sql', 'SELECT nope FROM people');
    await page.click('#run');
    await page.waitForSelector('#plan-error');
    const err = await page.textContent('#plan-error');
    if (!err.includes('column "nope" does not exist') || !err.includes('LINE 1:')) throw new Error(`error shown: ${err}`);
    // While the SQL is refused, the plan below is the last one planned, and says so.
    if (!(await page.textContent('#current-plan')).includes('Last plan')) throw new Error('the old plan is still titled "Current plan"');
    // Valid SQL the planner does not model is named as such, never as the learner's syntax error.
    await page.fill('#sql', "SELECT name FROM people WHERE name LIKE 'a%'");
    await page.click('#run');
    await page.waitForFunction(() => (document.querySelector('#plan-error')?.textContent || '').includes('NOT MODELLED'), null, { timeout: 10000 });
    if ((await page.textContent('#plan-error')).includes('syntax error')) throw new Error('LIKE is called a syntax error');
    if (!(await page.locator('#sql-subset').count())) throw new Error('the page does not say which SQL it plans');
    await page.goto(base + 'plan.html#lesson=11a-scan-choice.toml&seed=abc');
    await page.waitForSelector('#plan-error', { timeout: 30000 });
    if (!(await page.textContent('#plan-error')).includes('seed')) throw new Error('a bad seed in a link is not reported');
    // One link grammar on every page: `file=` opens a planner lesson, and a bad part is named
    // while the rest is kept.
    await page.goto('about:blank');
    await page.goto(base + 'plan.html#file=11d-correlated-columns.toml&x=1');
    await page.waitForFunction(() => (document.querySelector('#plan-error')?.textContent || '').includes('`x`'), null, { timeout: 30000 });
    await page.waitForFunction(() => document.querySelector('h2')?.textContent.length > 0 && !!document.querySelector('#current-plan'), null, { timeout: 30000 });
    // The sharding page keeps its menu for a link it cannot open, names the bad parts, and opens a
    // link pasted into the tab.
    for (const bad of ['sh=garbage&file=10b-good-shard-key.toml', 'file=10b-good-shard-key.toml&sh=key%3Anope', 'file=nope.toml']) {
      await page.goto('about:blank');
      await page.goto(`${base}shard.html#${bad}`);
      await page.waitForSelector('#link-problem', { timeout: 30000 });
      await page.waitForSelector('#scenario', { timeout: 30000 });
      const said = await page.textContent('#link-problem');
      if (!/garbage|nope/.test(said)) throw new Error(`${bad}: ${said}`);
    }
    await page.evaluate(() => { location.hash = '#file=10c-celebrity-hotspot.toml'; });
    await page.waitForFunction(() => document.querySelector('h2')?.textContent.includes('celebrity') || document.querySelector('h2')?.textContent.includes('Celebrity'), null, { timeout: 30000 });
  });
  await step('pooling_lesson_shows_pools_and_takes_a_pool_size', async () => {
    await page.goto('about:blank');
    await page.goto(`${base}#file=11d-pool-size-knee.toml`);
    await page.waitForSelector('#show-pools', { timeout: 30000 });
    await page.$eval('#scrubber', (el) => { el.value = '30000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.waitForFunction(() => document.querySelector('#clock')?.textContent.startsWith('30.0 s'), null, { timeout: 60000 });
    // A pool of 8 against 22,000 transactions/s: clients queue in PgBouncer.
    const waiting = Number(await page.textContent('#show-pools td[data-col="cl_waiting"]'));
    if (!(waiting > 0)) throw new Error(`cl_waiting is ${waiting} with a pool of 8`);
    // The diagram draws what the lesson runs: app servers and PgBouncer with SHOW POOLS' figures,
    // not "0 clients"; Patroni's and synchronous replication's settings are not offered.
    const bouncer = await page.textContent('g[data-infra="pgbouncer"]');
    if (!bouncer.includes('PgBouncer, transaction pooling') || !bouncer.includes(`${waiting} waiting`)) throw new Error(`the diagram's PgBouncer: ${bouncer}`);
    if (!(await page.textContent('g[data-infra="clients"]')).includes('app servers')) throw new Error('the diagram does not draw the app servers');
    if (await page.locator('#set-ttl, #set-synchronous_commit').count()) throw new Error('settings that do not bear on pooling are offered');
    for (const v of ['pool', 'chart-pool', 'pg-host']) {
      if (!(await page.locator(`[data-view="${v}"]`).first().isVisible())) throw new Error(`${v} is not shown`);
    }
    const pts = await page.getAttribute('#chart-pool polyline', 'points');
    if (!pts || pts.trim().split(' ').length < 5) throw new Error(`chart-pool has no line: ${pts}`);
    if (!(await page.locator('#pg-host svg[data-gauge="connections"]').count())) throw new Error('no connections gauge');
    const cut = await cutLabels('section.pool');
    if (cut.length) throw new Error(`labels cut off at the edge of the pool panel: ${cut.join(', ')}`);
    await page.fill('#set-default_pool_size', '32');
    await page.press('#set-default_pool_size', 'Enter');
    await page.waitForFunction(() => document.querySelector('.log')?.textContent.includes('default_pool_size = 32'), null, { timeout: 10000 });
    if (!decodeURIComponent(page.url()).includes('default_pool_size')) throw new Error('the pool size is not in the URL command log');
    await page.fill('#set-default_pool_size', '0');
    await page.press('#set-default_pool_size', 'Enter');
    await page.waitForFunction(() => (document.querySelector('#err-pgbouncer')?.textContent || '').includes('must be 1 to 10000'), null, { timeout: 5000 });
    await shot('pooling');
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  });
  await step('frame_time_of_the_million_user_lesson_at_1000x', async () => {
    // Two figures per animation frame. Its interval (rAF timestamps): the frames here wait for a
    // 60 Hz vsync, so none is under 16.7 ms and a longer one is a dropped frame. And its work: from
    // its rAF timestamp to the first task after it (a MessageChannel message posted in its rAF
    // callback), which spans the tick's simulation, the views, style, layout and paint.
    await page.goto('about:blank');
    await page.goto(`${base}#file=11b-million-users-pgbouncer.toml`);
    await page.waitForSelector('#show-pools', { timeout: 30000 });
    await page.getByRole('button', { name: '1000×' }).click();
    await page.evaluate(() => {
      window.__frames = [];
      window.__work = [];
      const f = (t) => {
        window.__frames.push(t);
        const c = new MessageChannel();
        c.port1.onmessage = () => window.__work.push(performance.now() - t);
        c.port2.postMessage(0);
        if (window.__frames.length < 100000) requestAnimationFrame(f);
      };
      requestAnimationFrame(f);
    });
    await page.click('#play');
    const seconds = 2;
    await page.waitForTimeout(seconds * 1000);
    const clock = parseFloat(await page.textContent('#clock'));
    // 1000× asked is more than this lesson can simulate per frame: the page says what it reaches.
    const reached = await page.evaluate(() => document.querySelector('#speed-reached')?.textContent || '');
    await page.evaluate(() => document.querySelector('#pause')?.click());
    if (clock < 60 && clock / seconds < 900 && !/playing at [0-9.,]+× of the 1000× asked/.test(reached)) throw new Error(`the speed reached is not shown: '${reached}' at ${clock} s`);
    const [d, w] = await page.evaluate(() => {
      const f = window.__frames, d = [];
      for (let i = 1; i < f.length; i++) d.push(f[i] - f[i - 1]);
      return [d.sort((a, b) => a - b), window.__work.slice().sort((a, b) => a - b)];
    });
    if (d.length < 20) throw new Error(`only ${d.length} frames in ${seconds} s`);
    if (!(clock >= 1)) throw new Error(`the lesson did not play: ${clock}`);
    const q = (v, x) => v[Math.floor((v.length - 1) * x)].toFixed(1);
    const dropped = d.filter((x) => x > 20).length;
    console.log(`  frame time, 1,000,000-user lesson at 1000x in headless Chromium (60 Hz), ${d.length} frames: work p50 ${q(w, 0.5)} ms, p95 ${q(w, 0.95)} ms, max ${q(w, 1)} ms (target p95 <= 16 ms); interval p50 ${q(d, 0.5)}, p95 ${q(d, 0.95)}, max ${q(d, 1)} ms, ${dropped} dropped`);
    // Play is bounded by work per frame, so 1000x asked is what fits: print what it reached.
    const end = clock >= 60 ? ' (the lesson\'s end: at least that)' : '';
    console.log(`  simulated ${clock.toFixed(1)} s in ${seconds} s of play: ${(clock / seconds).toFixed(1)}x real time achieved at 1000x asked${end}`);
  });
  await step('controls_and_diagram_in_view_at_1280x800', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto('about:blank');
    await page.goto(base + '#file=01-async-failover.toml');
    await node('pg1').waitFor({ timeout: 30000 });
    const [play, diagram] = await page.evaluate(() => [document.querySelector('#play'), document.querySelector('svg#cluster')].map((e) => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; }));
    if (play[1] > 800 || diagram[0] > 800 - 150) throw new Error(`play button at ${play}, diagram at ${diagram} in an 800px-high window`);
    // "Fork here" says what it did.
    await page.click('#fork');
    await page.waitForSelector('#notice', { timeout: 5000 });
    if (!(await page.textContent('#notice')).startsWith('Forked at')) throw new Error('no fork confirmation');
    // The DCS, proxy and clients boxes stand apart.
    const boxes = await page.$$eval('g.infra rect', (rs) => rs.map((r) => { const b = r.getBoundingClientRect(); return [b.left, b.right]; }).sort((a, b) => a[0] - b[0]));
    for (let i = 1; i < boxes.length; i++) if (boxes[i][0] < boxes[i - 1][1] + 4) throw new Error(`infrastructure boxes touch: ${JSON.stringify(boxes)}`);
    await shot('12-1280x800');
  });
  await step('a_phone_gets_controls_first_and_a_readable_diagram', async () => {
    // 390×844: no page scrolls sideways, Play is on the first screen, and the diagram's text is
    // readable (its own box scrolls sideways instead of shrinking it to 7 px).
    await page.setViewportSize({ width: 390, height: 844 });
    for (const p of ['#file=01-async-failover.toml', 'shard.html#file=10b-good-shard-key.toml', 'plan.html#file=11a-scan-choice.toml']) {
      await page.goto('about:blank');
      await page.goto(base + p);
      await page.waitForSelector('h2', { timeout: 30000 });
      await page.waitForTimeout(300);
      const [sw, iw] = await page.evaluate(() => [document.scrollingElement.scrollWidth, window.innerWidth]);
      if (sw > iw + 1) throw new Error(`${p}: the page is ${sw}px wide on a ${iw}px phone`);
    }
    await page.goto('about:blank');
    await page.goto(base + '#file=01-async-failover.toml');
    await node('pg1').waitFor({ timeout: 30000 });
    const play = await page.evaluate(() => document.querySelector('#play').getBoundingClientRect().bottom);
    if (play > 844) throw new Error(`Play is ${Math.round(play)} px down on an 844 px screen`);
    const px = await page.evaluate(() => document.querySelector('g[data-node="pg1"] text.name').getBoundingClientRect().height);
    if (px < 10) throw new Error(`the diagram's text is ${px.toFixed(1)} px high`);
    await shot('phone-390x844');
    await page.setViewportSize({ width: 1100, height: 1000 });
  });
  await step('fits_800px_without_horizontal_scroll', async () => {
    await page.setViewportSize({ width: 800, height: 1000 });
    await page.waitForTimeout(200);
    const [sw, iw] = await page.evaluate(() => [document.scrollingElement.scrollWidth, window.innerWidth]);
    if (sw > iw) throw new Error(`page is ${sw}px wide in an ${iw}px window`);
    // No text of the diagram overlaps another, from 800 px up, on a lesson with three regions
    // after a failover.
    for (const width of [800, 1280]) {
      await page.setViewportSize({ width, height: 1000 });
      for (const f of ['05-multi-region.toml', '02-sync-failover.toml']) {
        await page.goto('about:blank');
        await page.goto(`${base}#file=${f}&t=50000`);
        await page.waitForFunction(() => document.querySelector('#clock')?.textContent.startsWith('50.0 s'), null, { timeout: 60000 });
        const clash = await page.evaluate(() => {
          const boxes = [...document.querySelectorAll('svg#cluster text')].filter((t) => t.textContent.trim()).map((t) => [t.textContent, t.getBoundingClientRect()]);
          for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
            const [a, r] = boxes[i], [b, q] = boxes[j];
            const w = Math.min(r.right, q.right) - Math.max(r.left, q.left), h = Math.min(r.bottom, q.bottom) - Math.max(r.top, q.top);
            if (w > 1 && h > 1) return `${a} / ${b}`;
          }
          return null;
        });
        if (clash) throw new Error(`${f} at ${width} px: overlapping labels ${clash}`);
      }
    }
    await page.setViewportSize({ width: 800, height: 1000 });
    await shot('05-800px');
  });
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
} catch (e) {
  if (!failed) { failed++; console.log(`test e2e ... FAILED\n${e.stack || e}`); }
} finally {
  await browser.close();
}
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
