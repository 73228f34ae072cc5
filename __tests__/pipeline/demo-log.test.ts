import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtInLines, writeDemoLog } from '../../pipeline/demo-log';

test('the built-in generator writes the requested number of main-format lines, deterministically', () => {
  // More than one 10,000-line chunk.
  const text = [...builtInLines(12_000, 5, 3)].join('');
  const lines = text.split('\n').slice(0, -1);
  expect(lines).toHaveLength(12_000);
  expect(text).toBe([...builtInLines(12_000, 5, 3)].join(''));
  expect(lines[0]).toMatch(/^\d+\.\d+\.\d+\.\d+ - - \[\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "/);
  const odd = lines.filter((l) => !l.endsWith('"-"')).length;
  expect(odd).toBeGreaterThan(12_000 * 0.03);
  expect(odd).toBeLessThan(12_000 * 0.07);
});

test('without ../shared the demo log comes from the built-in generator', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'demo-log-'));
  try {
    const project = join(dir, 'project'); // no ../shared next to it
    const file = join(dir, 'out', 'access.log');
    await expect(writeDemoLog(project, file, 1_000)).resolves.toBe('built-in');
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(1_001);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
