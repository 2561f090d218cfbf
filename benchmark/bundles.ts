/**
 * Size of each handler bundle and its cold import time (a new Node.js process requiring the
 * bundle, measured over several runs). Run `npx projen bundle` first.
 *
 *   npx ts-node --project tsconfig.dev.json benchmark/bundles.ts
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

const RUNS = 15;
const assets = path.join(__dirname, '..', 'assets', 'runtime');

function coldImportMs(bundle: string): number {
  // The child measures only the require, not the process start.
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(bundle)});` +
    'process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))';
  return Number(execFileSync(process.execPath, ['-e', script], {
    env: { ...process.env, AWS_REGION: 'eu-west-1' },
  }).toString());
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

if (!fs.existsSync(assets)) {
  console.error('No bundles found: run `npx projen bundle` first.');
  process.exit(1);
}

console.log(`Node ${process.version}, ${RUNS} cold imports per bundle\n`);
console.log('bundle                 size (KiB)  gzip (KiB)  cold import p50 (ms)  min (ms)  max (ms)');
for (const name of fs.readdirSync(assets).sort()) {
  const file = path.join(assets, name, 'index.js');
  const code = fs.readFileSync(file);
  const times = Array.from({ length: RUNS }, () => coldImportMs(file));
  console.log(
    `${name.padEnd(22)} ${(code.length / 1024).toFixed(1).padStart(10)}  ${(zlib.gzipSync(code).length / 1024).toFixed(1).padStart(10)}` +
    `  ${median(times).toFixed(1).padStart(20)}  ${Math.min(...times).toFixed(1).padStart(8)}  ${Math.max(...times).toFixed(1).padStart(8)}`,
  );
}
