// The engine in the shipped browser profile: the reference run and the one-hour,
// 1,000,000-user pooling run, timed under Node. Prints `bench <name> <value>` lines.
// `node wasm-engine.mjs WASM reference` runs only the reference run, `... pool` only the hour.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
// Each run in its own instance: a wasm memory never shrinks, so the pooling hour's memory is
// measured on an instance that ran nothing else.
const bytes = readFileSync(process.argv[2]);
const only = process.argv[3];
const fresh = async () => (await WebAssembly.instantiate(bytes, {})).instance.exports;
if (only !== 'pool') {
  const x = await fresh();
  const t0 = performance.now();
  const ref = x.reference_events();
  if (ref === 0n) throw new Error('the reference run failed');
  console.log(`bench reference_events ${ref}`);
  console.log(`bench reference_s ${((performance.now() - t0) / 1000).toFixed(3)}`);
}
if (only !== 'reference') {
  const x = await fresh();
  const t0 = performance.now();
  const pool = x.pool_hour_events();
  if (pool === 0n) throw new Error('the pooling hour failed');
  console.log(`bench pool_events ${pool}`);
  console.log(`bench pool_s ${((performance.now() - t0) / 1000).toFixed(3)}`);
  console.log(`bench pool_offered ${x.pool_offered().toFixed(0)}`);
  console.log(`bench pool_served ${x.pool_served().toFixed(0)}`);
  console.log(`bench memory_mib ${(x.memory.buffer.byteLength / 1048576).toFixed(1)}`);
}
