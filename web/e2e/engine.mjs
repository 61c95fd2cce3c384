// The reference run of the shipped wasm engine in headless Chromium, the browser the pages run
// in (`cargo xtask bench engine`). Prints `bench reference_events N` and `bench reference_s S`.
// Usage: node engine.mjs WASM (CHROMIUM names the browser, /usr/bin/chromium by default).
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';

const bytes = readFileSync(process.argv[2]).toString('base64');
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage();
  const [events, s] = await page.evaluate(async (b64) => {
    const wasm = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const x = (await WebAssembly.instantiate(wasm, {})).instance.exports;
    const t0 = performance.now();
    const n = x.reference_events();
    return [String(n), (performance.now() - t0) / 1000];
  }, bytes);
  if (events === '0') throw new Error('the reference run failed');
  console.log(`bench reference_events ${events}`);
  console.log(`bench reference_s ${s.toFixed(3)}`);
} finally {
  await browser.close();
}
