// `npm run soak`: runs every dist/bench/soak/*.js (one per area, see WORKFLOW's soak convention)
// with the arguments given (`--soak` for the large counts) and prints their Markdown sections in
// order; docs/RELIABILITY.md collects them. Exit status 1 if any script failed.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dir = join('dist', 'bench', 'soak');
let scripts;
try {
  scripts = readdirSync(dir).filter((name) => name.endsWith('.js')).sort();
} catch {
  console.error(`no ${dir} (did the build run?)`);
  process.exit(1);
}
const args = process.argv.slice(2);
let failed = 0;
process.stdout.write(`# tracemark soak run\n\nNode ${process.version}, ${new Date().toISOString()}, arguments: ${args.join(' ') || '(small counts)'}\n\n`);
for (const name of scripts) {
  const started = Date.now();
  const result = spawnSync(process.execPath, [join(dir, name), ...args], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  process.stdout.write(result.stdout);
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (result.status !== 0) {
    failed++;
    process.stdout.write(`\n**${name} FAILED** (exit ${result.status ?? result.signal}, ${seconds} s)\n\n`);
  } else {
    process.stdout.write(`\n_${name}: ${seconds} s_\n\n`);
  }
}
process.exit(failed === 0 ? 0 : 1);
