#!/usr/bin/env node
// Totals the vitest JSON reports that tools/test's projects wrote into one folder, prints a line
// per project and then `N passed, N failed, N skipped` alone on the last line; exits 1 when a
// test failed, when a project left an unreadable report, or when no test ran at all.
//   node tools/test-summary.mjs <reports folder>
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: test-summary.mjs <reports folder>');
  process.exit(2);
}
let files = [];
try {
  files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
} catch {
  // no folder: no project ran its tests
}
const total = { passed: 0, failed: 0, skipped: 0 };
let broken = 0;
for (const file of files) {
  let r;
  try {
    r = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  } catch (err) {
    console.error(`test-summary: ${file}: unreadable report (${err.message})`);
    broken++;
    continue;
  }
  const counts = { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + r.numTodoTests };
  for (const k of Object.keys(total)) total[k] += counts[k];
  console.log(`  ${file.replace(/\.json$/, '').padEnd(24)} ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
}
const ran = total.passed + total.failed;
if (ran === 0) console.error('test-summary: no test ran');
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed > 0 || broken > 0 || ran === 0 ? 1 : 0);
