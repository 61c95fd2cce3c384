// The reference run of the shipped wasm engine in headless Chromium, the browser the pages run
// in (`cargo xtask bench engine`). Prints `bench reference_events N` and `bench reference_s S`;
// with `migration`, the migration benchmark instead (`bench migration_events N`,
// `bench migration_s S`, `bench memory_mib M`).
// Usage: node engine.mjs WASM [migration] (CHROMIUM names the browser, /usr/bin/chromium by default).
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';

const bytes = readFileSync(process.argv[2]).toString('base64');
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage();
  const name = process.argv[3] === 'migration' ? 'migration' : 'reference';
  const [events, s, mib] = await page.evaluate(async ([b64, name]) => {
    const wasm = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const x = (await WebAssembly.instantiate(wasm, {})).instance.exports;
    const t0 = performance.now();
    const n = name === 'migration' ? x.migration_events() : x.reference_events();
    return [String(n), (performance.now() - t0) / 1000, x.memory.buffer.byteLength / 1048576];
  }, [bytes, name]);
  if (events === '0') throw new Error(`the ${name} run failed`);
  console.log(`bench ${name}_events ${events}`);
  console.log(`bench ${name}_s ${s.toFixed(3)}`);
  if (name === 'migration') console.log(`bench memory_mib ${mib.toFixed(1)}`);
} finally {
  await browser.close();
}
