// Loads the wasm-check module in Node and prints "index hash" for every built-in scenario.
import { readFileSync } from 'node:fs';
const bytes = readFileSync(process.argv[2]);
const { instance } = await WebAssembly.instantiate(bytes, {});
const n = instance.exports.scenario_count();
for (let i = 0; i < n; i++) {
  const h = BigInt.asUintN(64, instance.exports.scenario_hash(i));
  console.log(`${i} ${h.toString(16).padStart(16, '0')}`);
}
