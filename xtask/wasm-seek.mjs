// Seek benchmark in wasm: loads wasm-check under Node, plays the one-hour run to its end,
// then times 200 seeks to pseudo-random times (the same sequence as the native bench).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
const bytes = readFileSync(process.argv[2]);
const { instance } = await WebAssembly.instantiate(bytes, {});
const x = instance.exports;
let t0 = performance.now();
const events = x.seek_setup();
if (events === 0n) throw new Error('the one-hour benchmark run failed to load or run');
console.log(`wasm one-hour run: ${events} events, played to the end in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
const endMs = 3600n * 1000n;
let s = 0x2545f4914f6cdd1dn;
const mask = (1n << 64n) - 1n;
const ms = [];
for (let i = 0; i < 200; i++) {
  s ^= (s << 13n) & mask; s ^= s >> 7n; s ^= (s << 17n) & mask;
  const t = s % (endMs * 1000n + 1n) / 1000n;
  t0 = performance.now();
  if (x.seek_to(t) === 0n) throw new Error(`seek to ${t} ms failed`);
  ms.push(performance.now() - t0);
}
ms.sort((a, b) => a - b);
const q = (p) => ms[Math.floor((ms.length - 1) * p / 100)];
console.log(`wasm seek latency over 200 seeks: p50 ${q(50).toFixed(2)} ms  p99 ${q(99).toFixed(2)} ms  max ${ms[ms.length - 1].toFixed(2)} ms`);
console.log(`wasm memory: ${(x.memory.buffer.byteLength / 1048576).toFixed(0)} MiB`);
