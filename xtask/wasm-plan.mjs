// Planner benchmark in wasm: loads wasm-check under Node and times planning a six-table join and
// EXPLAIN ANALYZE over a million generated rows (the same lessons as the native bench).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
const { instance } = await WebAssembly.instantiate(readFileSync(process.argv[2]), {});
const x = instance.exports;
let t0 = performance.now();
if (x.plan_setup() !== 1) throw new Error('the planner benchmark lessons failed to load');
console.log(`bench load_million_rows ${(performance.now() - t0).toFixed(3)}`);
const median = (v) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
const plan = [];
for (let i = 0; i < 50; i++) { t0 = performance.now(); if (x.plan_six_way() === 0n) throw new Error('planning failed'); plan.push(performance.now() - t0); }
console.log(`bench plan_six_way_join ${median(plan).toFixed(3)}`);
const run = [];
for (let i = 0; i < 5; i++) { t0 = performance.now(); if (x.explain_analyze_million() === 0n) throw new Error('EXPLAIN ANALYZE failed'); run.push(performance.now() - t0); }
console.log(`bench explain_analyze_million_rows ${median(run).toFixed(3)}`);
console.log(`wasm memory: ${(x.memory.buffer.byteLength / 1048576).toFixed(0)} MiB`);
