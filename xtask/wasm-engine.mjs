// The engine in the shipped browser profile: the reference run and the one-hour,
// 1,000,000-user pooling run, timed under Node. Prints `bench <name> <value>` lines.
// `node wasm-engine.mjs WASM reference` runs only the reference run, `... pool` only the hour.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
const bytes = readFileSync(process.argv[2]);
const only = process.argv[3];
// Each run in its own instance: a wasm memory never shrinks, so the pooling hour's memory is
// measured on an instance that ran nothing else. Returns the instance's exports.
const timed = async (name, run) => {
  const x = (await WebAssembly.instantiate(bytes, {})).instance.exports;
  const t0 = performance.now();
  const events = run(x);
  if (events === 0n) throw new Error(`the ${name} run failed`);
  console.log(`bench ${name}_events ${events}`);
  console.log(`bench ${name}_s ${((performance.now() - t0) / 1000).toFixed(3)}`);
  return x;
};
if (only !== 'pool') await timed('reference', (x) => x.reference_events());
if (only !== 'reference') {
  const x = await timed('pool', (x) => x.pool_hour_events());
  console.log(`bench pool_offered ${x.pool_offered().toFixed(0)}`);
  console.log(`bench pool_served ${x.pool_served().toFixed(0)}`);
  console.log(`bench memory_mib ${(x.memory.buffer.byteLength / 1048576).toFixed(1)}`);
}
