/**
 * `simulate` from tsc's output (dist/src) instead of the esbuild bundle that
 * bin/simulate loads: the same code, but a CPU profile names
 * dist/src/<file>.js:<line> rather than a minified chunk. For profiling only
 * (bench/transports.ts --profile); start-up is slower than the bundle's.
 *
 *   node dist/bench/simulate-unbundled.js run scenario.yaml --target URL ...
 */
import { runCli } from '../src/cli/main.js';

await runCli(process.argv);
