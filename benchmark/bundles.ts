/**
 * Size of each handler bundle and its cold import time (a new Node.js process requiring the
 * bundle, measured over several runs), and the size of the operator's command-line tool and the
 * time of `cdk-health-data-lake --help` (a whole process), and the time of the compliance report on the
 * example app's assembly. Run `npx projen bundle` (and `npx projen example`) first.
 *
 *   npx ts-node --project tsconfig.dev.json benchmark/bundles.ts
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';

const RUNS = 15;
const assets = path.join(__dirname, '..', 'assets', 'runtime');
const cliBundle = path.join(__dirname, '..', 'assets', 'cli', 'main', 'index.js');

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

// The operator's tool runs as its own process, so its cost is a whole `--help` run.
const cli = fs.readFileSync(cliBundle);
const helpTimes = Array.from({ length: RUNS }, () => {
  const started = process.hrtime.bigint();
  execFileSync(process.execPath, [cliBundle, '--help']);
  return Number(process.hrtime.bigint() - started) / 1e6;
});
console.log('\ncommand-line tool      size (KiB)  gzip (KiB)  --help run p50 (ms)   min (ms)  max (ms)');
console.log(
  `${'cli/main'.padEnd(22)} ${(cli.length / 1024).toFixed(1).padStart(10)}  ${(zlib.gzipSync(cli).length / 1024).toFixed(1).padStart(10)}` +
  `  ${median(helpTimes).toFixed(1).padStart(20)}  ${Math.min(...helpTimes).toFixed(1).padStart(8)}  ${Math.max(...helpTimes).toFixed(1).padStart(8)}`,
);

// The compliance report on the example app's assembly (`npx projen example` writes it), a whole process:
// reading the templates, the access matrix's policy simulations, the controls and the Markdown.
const exampleAssembly = path.join(__dirname, '..', 'example', 'cdk.out');
if (fs.existsSync(exampleAssembly)) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'report-bench-')), 'report.md');
  const REPORT_RUNS = 5;
  const reportTimes = Array.from({ length: REPORT_RUNS }, () => {
    const started = process.hrtime.bigint();
    execFileSync(process.execPath, [cliBundle, 'report', exampleAssembly, '--out', out], { stdio: 'pipe' });
    return Number(process.hrtime.bigint() - started) / 1e6;
  });
  console.log(`\ncompliance report of example/cdk.out (${REPORT_RUNS} runs)  p50 (ms)  min (ms)  max (ms)`);
  console.log(`${'report --out report.md'.padEnd(43)} ${median(reportTimes).toFixed(0).padStart(8)}  ${Math.min(...reportTimes).toFixed(0).padStart(8)}  ${Math.max(...reportTimes).toFixed(0).padStart(8)}`);
} else {
  console.log('\ncompliance report: no example/cdk.out (run `npx projen example` first), not measured');
}
