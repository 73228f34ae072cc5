import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PIPELINE_NODE_FLAGS } from '../../pipeline/heap';
import { projectRoot } from '../../pipeline/stack-config';

test("npm start runs node with the pipeline's V8 flags", () => {
  const pkg = JSON.parse(readFileSync(join(projectRoot(__dirname), 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(pkg.scripts.start).toContain(`node ${PIPELINE_NODE_FLAGS.join(' ')} dist/app/bin/start.js`);
});

test('this node accepts every one of them', () => {
  const run = spawnSync(process.execPath, [...PIPELINE_NODE_FLAGS, '-e', 'process.exit(0)'], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
});
