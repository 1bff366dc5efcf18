/** `npm run bench`: every benchmark of BENCHMARKS.md, peers side by side, ratios printed. */
import { cpus } from 'node:os';
import { diskBenchmarks } from './disk.js';
import { hotPathBenchmarks } from './hot-path.js';
import { nodeHttpBenchmark } from './node/http.js';
import { readBenchmarks } from './read.js';
import { viewBenchmarks } from './view.js';

console.log(`# tracemark benchmarks — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${new Date().toISOString()}`);
const only = process.argv[2];
if (only === undefined || only === 'hot') await hotPathBenchmarks();
if (only === undefined || only === 'disk') await diskBenchmarks();
if (only === undefined || only === 'read') await readBenchmarks();
if (only === undefined || only === 'node') await nodeHttpBenchmark();
// Minutes of child processes: only on request (`npm run bench -- view`, or `view small` for 1M only).
if (only === 'view') await viewBenchmarks(process.argv[3] === 'small' ? [1_000_000] : undefined);
