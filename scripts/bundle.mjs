// Bundles the compiled CLI (dist/src, from tsc) into dist/bundle, which is
// what bin/simulate loads. One minified file set instead of ~300 modules
// from node_modules: start-up compiles and keeps far less (no zod locales,
// shorter sources), which is most of the simulator's fixed CPU and memory.
// tsc stays the compiler and type checker; esbuild only links its output.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * zod re-exports every locale as a namespace (`z.locales`); because `z` is
 * used as a value, esbuild keeps them all (about 300 KiB minified). crosstalk
 * writes its own messages and zod's English default comes from
 * locales/en.js directly, so the aggregate module is replaced by an empty one.
 */
const zodLocalesStub = {
  name: 'zod-locales-stub',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: 'zod-locales', namespace: 'zod-locales-stub' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales-stub' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};
const outdir = join(root, 'dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  // shard-worker is its own entry: worker-pool starts it by URL next to itself.
  entryPoints: { simulate: 'dist/src/cli/main.js', 'shard-worker': 'dist/src/runtime/shard-worker.js' },
  outdir,
  bundle: true,
  // Lazily imported parts (undici, report writers, the worker pool) stay separate chunks.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  // Error messages and logs name classes and functions; keep those names.
  keepNames: true,
  // CommonJS dependencies (ws, pino, ...) call require() for node built-ins.
  banner: {
    js: "import { createRequire as __ctCreateRequire } from 'node:module'; const require = __ctCreateRequire(import.meta.url);",
  },
  plugins: [zodLocalesStub],
  logLevel: 'warning',
});
