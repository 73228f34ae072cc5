// Builds everything that runs as JavaScript: the parser Lambda bundle (what the stack deploys), the app entry points
// (main.ts, bin/*.ts, bench/*.ts), and our agent for web hosts: one self-contained file with the AWS SDK inside plus
// its systemd unit (dist/agent/). `node build.mjs lambda [OUTFILE]` builds only the Lambda
// (to OUTFILE instead of dist/nginx-parser/index.js: the bundle test checks exactly what this script makes).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';

const lambdaOnly = process.argv[2] === 'lambda';

// A file that runs on its own (the Lambda, our agent on a web host): everything bundled in, minified.
const standalone = {
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  legalComments: 'none',
  logLevel: 'warning',
};

await build({
  ...standalone,
  entryPoints: ['functions/nginx-parser/index.ts'],
  outfile: (lambdaOnly && process.argv[3]) || 'dist/nginx-parser/index.js',
});

if (!lambdaOnly) {
  const entries = (dir) =>
    existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => `${dir}/${f}`) : [];
  await build({
    entryPoints: ['main.ts', ...entries('bin'), ...entries('bench')],
    outbase: '.',
    outdir: 'dist/app',
    bundle: true,
    // cdktf zips assets by re-running its own entry file: bundling the framework would re-run the app per asset.
    packages: 'external',
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    logLevel: 'warning',
  });
}

if (!lambdaOnly) {
  // The web host runs this file with Node from the distribution's packages: no node_modules there.
  const agent = 'dist/agent/nginx-log-agent.js';
  await build({ ...standalone, entryPoints: ['bin/nginx-log-agent.ts'], outfile: agent });
  // The unit comes from the bundle itself (pipeline/agent/systemd.ts): one text for the build and the user data.
  const unit = execFileSync(process.execPath, [agent, '--systemd-unit']);
  writeFileSync('dist/agent/nginx-log-agent.service', unit);
}
