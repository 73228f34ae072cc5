import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fingerprint, readCheckpoint, writeCheckpoint, type Checkpoint } from '../../../pipeline/agent/checkpoint';
import { planStart, tailLines, utf8Boundary, type Line, type TailEvent } from '../../../pipeline/agent/tail';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tail-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lines = (tag: string, n: number): string => Array.from({ length: n }, (_, i) => `${tag}-${i}\n`).join('');

/** Runs a follow-mode tail in the background, collecting lines and events. */
function follow(path: string, rotationQuietMillis = 30): { got: Line[]; events: TailEvent[]; until(n: number): Promise<void>; stop(): Promise<void> } {
  const ac = new AbortController();
  const got: Line[] = [];
  const events: TailEvent[] = [];
  const done = (async () => {
    for await (const chunk of tailLines({
      path,
      follow: true,
      maxLineBytes: 1024,
      pollMillis: 5,
      rotationQuietMillis,
      signal: ac.signal,
      onEvent: (e) => events.push(e),
    })) {
      got.push(...chunk);
    }
  })();
  return {
    got,
    events,
    async until(n) {
      for (let waited = 0; got.length < n; waited += 5) {
        if (waited > 3000) {
          ac.abort();
          throw new Error(`timed out with ${got.length} of ${n} lines`);
        }
        await sleep(5);
      }
    },
    async stop() {
      ac.abort();
      await done;
    },
  };
}

const text = (got: Line[]): string => got.map((l) => l.data.toString()).join('');

describe('tailLines, whole file', () => {
  it('yields each line with its "\\n" and the offset after it, and completes a last partial line', async () => {
    const path = join(dir, 'a.log');
    writeFileSync(path, 'one\ntwo\nthree');
    const got: Line[] = [];
    for await (const chunk of tailLines({ path, maxLineBytes: 100, chunkBytes: 3 })) got.push(...chunk);
    expect(got.map((l) => [l.data.toString(), l.endOffset])).toEqual([
      ['one\n', 4],
      ['two\n', 8],
      ['three\n', 13],
    ]);
  });

  it('truncates lines longer than maxLineBytes across chunk boundaries', async () => {
    const path = join(dir, 'a.log');
    writeFileSync(path, 'short\n' + 'y'.repeat(50) + '\nz\n');
    const got: Line[] = [];
    for await (const chunk of tailLines({ path, maxLineBytes: 11, chunkBytes: 7 })) got.push(...chunk);
    expect(got.map((l) => [l.data.toString(), l.truncatedBytes, l.endOffset])).toEqual([
      ['short\n', 0, 6],
      ['yyyyyyyyyy\n', 40, 57],
      ['z\n', 0, 59],
    ]);
  });

  it('cuts a truncated line at a UTF-8 character boundary', () => {
    expect(utf8Boundary(Buffer.from('abé'))).toBe(4);
    expect(utf8Boundary(Buffer.from('abé').subarray(0, 3))).toBe(2);
    expect(utf8Boundary(Buffer.from('a😀').subarray(0, 4))).toBe(1);
    expect(utf8Boundary(Buffer.from('a😀'))).toBe(5);
  });
});

describe('tailLines, follow', () => {
  it('follows rename-and-create rotation, including lines written to the old file after the rename', async () => {
    const path = join(dir, 'access.log');
    writeFileSync(path, lines('a', 3));
    const t = follow(path);
    await t.until(3);
    appendFileSync(path, lines('b', 2));
    renameSync(path, `${path}.1`);
    appendFileSync(`${path}.1`, lines('c', 2)); // the writer has not reopened its log yet
    writeFileSync(path, lines('d', 2));
    await t.until(9);
    appendFileSync(path, lines('e', 1));
    await t.until(10);
    await t.stop();
    expect(text(t.got)).toBe(lines('a', 3) + lines('b', 2) + lines('c', 2) + lines('d', 2) + lines('e', 1));
    expect(t.events).toContainEqual({ kind: 'rotation', rotation: 'rename', from: `${path}.1`, to: path });
  });

  it('follows copytruncate rotation, reading lines it had not read yet from the copy', async () => {
    const path = join(dir, 'access.log');
    writeFileSync(path, lines('a', 3));
    const t = follow(path);
    await t.until(3);
    // logrotate copytruncate, done between two polls: append, copy, truncate, new lines (more bytes than before).
    appendFileSync(path, lines('b', 2));
    copyFileSync(path, `${path}.1`);
    truncateSync(path, 0);
    appendFileSync(path, lines('new', 8));
    await t.until(13);
    await t.stop();
    expect(text(t.got)).toBe(lines('a', 3) + lines('b', 2) + lines('new', 8));
    expect(t.events).toContainEqual({ kind: 'rotation', rotation: 'copytruncate', from: path, to: `${path}.1` });
  });

  it("waits out the quiet time after logrotate's `create` before leaving the old file, however long it was idle", async () => {
    const path = join(dir, 'access.log');
    writeFileSync(path, lines('a', 3));
    const t = follow(path, 250); // polls every 5 ms
    await t.until(3);
    await sleep(300); // idle for longer than the quiet time
    renameSync(path, `${path}.1`);
    writeFileSync(path, ''); // logrotate's `create`, before nginx has reopened
    await sleep(25);
    appendFileSync(`${path}.1`, lines('late', 2)); // a request that ends before nginx reopens
    appendFileSync(path, lines('b', 2));
    await t.until(7);
    await t.stop();
    expect(text(t.got)).toBe(lines('a', 3) + lines('late', 2) + lines('b', 2));
  });

  it('reads what a writer in another process appends to the renamed file just before it reopens, rotation after rotation', async () => {
    // nginx's way without logrotate's `create`: rename, lines still go to the old file, then the new file appears on
    // reopen. Before each rotation the writer stays idle longer than the quiet time, so the tail may switch files at
    // once; the old file's last lines land while it checks for a new file. 20 rotations make that race likely. The
    // writer waits for the tail to have read everything before each rotation (one rotation at a time, as in life).
    const path = join(dir, 'access.log');
    const writer = `
      const fs = require('node:fs');
      const [path, rotations] = [process.argv[1], Number(process.argv[2])];
      const nap = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      const ack = Buffer.alloc(1);
      const waitForAck = () => { for (;;) { try { if (fs.readSync(0, ack, 0, 1, null) === 1) return; } catch (e) { if (e.code !== 'EAGAIN') throw e; } nap(1); } };
      let fd = fs.openSync(path, 'a');
      let n = 0;
      const write = (count) => { let t = ''; for (let i = 0; i < count; i++) t += 'line-' + n++ + '\\n'; fs.writeSync(fd, t); };
      for (let r = 0; r < rotations; r++) {
        for (let b = 0; b < 5; b++) { write(20); nap(Math.random() * 2); }
        process.stdout.write(n + '\\n');
        waitForAck();
        nap(8);
        fs.renameSync(path, path + '.' + r);
        for (let b = 0; b < 3; b++) { write(3); if (Math.random() < 0.5) nap(Math.random()); }
        fs.closeSync(fd);
        fd = fs.openSync(path, 'a');
      }
      write(1);
      fs.closeSync(fd);
      process.stdout.write('done ' + n + '\\n');
    `;
    writeFileSync(path, '');
    const ac = new AbortController();
    const got: Line[] = [];
    const done = (async () => {
      for await (const chunk of tailLines({ path, follow: true, maxLineBytes: 1024, pollMillis: 1, rotationQuietMillis: 5, signal: ac.signal })) got.push(...chunk);
    })();
    const child = spawn(process.execPath, ['-e', writer, path, '20'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let total = -1;
    let out = '';
    try {
      for await (const chunk of child.stdout) {
        out += String(chunk);
        for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
          const msg = out.slice(0, nl);
          out = out.slice(nl + 1);
          if (msg.startsWith('done ')) total = Number(msg.slice(5));
          else {
            for (let waited = 0; got.length < Number(msg); waited += 2) {
              if (waited > 2000) throw new Error(`the tail has ${got.length} of the ${msg} lines written so far`);
              await sleep(2);
            }
            child.stdin.write('k');
          }
        }
      }
      for (let waited = 0; got.length < total && waited < 3000; waited += 10) await sleep(10);
    } finally {
      child.kill();
      ac.abort();
      await done;
    }
    expect(total).toBe(20 * 109 + 1);
    expect(text(got)).toBe(Array.from({ length: total }, (_, i) => `line-${i}\n`).join(''));
  }, 20_000);

  it('starts after the last complete line with initialPosition END_OF_FILE', async () => {
    const path = join(dir, 'access.log');
    writeFileSync(path, lines('old', 50) + 'half');
    const ac = new AbortController();
    const got: Line[] = [];
    const events: TailEvent[] = [];
    const done = (async () => {
      const onEvent = (e: TailEvent): number => events.push(e);
      for await (const chunk of tailLines({ path, follow: true, initialPosition: 'END_OF_FILE', maxLineBytes: 100, pollMillis: 5, signal: ac.signal, onEvent })) {
        got.push(...chunk);
      }
    })();
    for (let i = 0; i < 600 && events.length === 0; i++) await sleep(5);
    expect(events).toEqual([{ kind: 'open', path, offset: Buffer.byteLength(lines('old', 50)) }]);
    appendFileSync(path, '-line\n' + lines('new', 2));
    for (let i = 0; i < 200 && got.length < 3; i++) await sleep(5);
    ac.abort();
    await done;
    expect(text(got)).toBe('half-line\n' + lines('new', 2));
  });

  it('leaves a partial last line for later while following', async () => {
    const path = join(dir, 'access.log');
    writeFileSync(path, 'whole\npart');
    const t = follow(path);
    await t.until(1);
    await sleep(30);
    expect(text(t.got)).toBe('whole\n');
    appendFileSync(path, 'ial\n');
    await t.until(2);
    await t.stop();
    expect(text(t.got)).toBe('whole\npartial\n');
  });
});

describe('planStart and the checkpoint file', () => {
  function checkpointOf(path: string, offset: number): Checkpoint {
    const st = statSync(path);
    const head = readFileSync(path).subarray(0, 512);
    return { version: 1, path, dev: st.dev, ino: st.ino, offset, fingerprint: fingerprint(head), fingerprintBytes: head.length, updatedAt: '' };
  }

  it('resumes in the same file at the offset', async () => {
    const path = join(dir, 'access.log');
    writeFileSync(path, lines('a', 100));
    expect(await planStart(path, checkpointOf(path, 40))).toEqual({ drain: [], offset: 40 });
  });

  it('finishes a renamed file from the offset, then reads the new one from 0', async () => {
    const path = join(dir, 'access.log');
    writeFileSync(path, lines('a', 100));
    const cp = checkpointOf(path, 40);
    renameSync(path, `${path}.1`);
    writeFileSync(path, lines('b', 1));
    expect(await planStart(path, cp)).toEqual({ drain: [{ path: `${path}.1`, offset: 40 }], offset: 0 });
  });

  it('finds a copytruncate copy by its fingerprint', async () => {
    const path = join(dir, 'access.log');
    writeFileSync(path, lines('a', 100));
    const cp = checkpointOf(path, 40);
    copyFileSync(path, `${path}-20261125`);
    truncateSync(path, 0);
    writeFileSync(path, lines('c', 300));
    expect(await planStart(path, cp)).toEqual({ drain: [{ path: `${path}-20261125`, offset: 40 }], offset: 0 });
  });

  it('after a rename, reads the next file too when it was rotated again while nothing read it', async () => {
    // Stopped right after moving to the new file (checkpoint still in the old one); then, while down, logrotate
    // shifts .1 to .2 and copytruncates the new file into .1.
    const path = join(dir, 'access.log');
    writeFileSync(path, lines('a', 100));
    const cp = checkpointOf(path, statSync(path).size);
    renameSync(path, `${path}.1`);
    writeFileSync(path, lines('b', 50));
    await sleep(20); // later modification times, as hours later
    renameSync(`${path}.1`, `${path}.2`);
    copyFileSync(path, `${path}.1`);
    truncateSync(path, 0);
    writeFileSync(path, lines('c', 5));
    writeFileSync(`${path}.0`, lines('old', 1));
    utimesSync(`${path}.0`, new Date(2026, 0, 1), new Date(2026, 0, 1));
    const plan = await planStart(path, cp);
    expect(plan).toEqual({ drain: [{ path: `${path}.2`, offset: cp.offset }, { path: `${path}.1`, offset: 0 }], offset: 0 });
    const got: Line[] = [];
    for await (const chunk of tailLines({ path, checkpoint: cp, maxLineBytes: 1024 })) got.push(...chunk);
    expect(text(got)).toBe(lines('b', 50) + lines('c', 5));
  });

  it('loses nothing when the live file is copied and truncated while it finishes the rotated one', async () => {
    // Down: the log was copied to .1 and truncated (lines b went to the live file after that).
    const path = join(dir, 'access.log');
    writeFileSync(path, lines('a', 100));
    const cp = checkpointOf(path, 40);
    copyFileSync(path, `${path}.1`);
    truncateSync(path, 0);
    writeFileSync(path, lines('b', 20));
    const ac = new AbortController();
    const tail = tailLines({ path, follow: true, checkpoint: cp, maxLineBytes: 1024, pollMillis: 5, rotationQuietMillis: 30, signal: ac.signal });
    const got: Line[] = [];
    const first = await tail.next();
    got.push(...(first.value as Line[]));
    // Restarted, it is still finishing .1 when logrotate runs again: b now lives only in the new .1.
    renameSync(`${path}.1`, `${path}.2`);
    copyFileSync(path, `${path}.1`);
    truncateSync(path, 0);
    appendFileSync(path, lines('c', 5));
    const expected = readFileSync(`${path}.2`).subarray(40).toString() + lines('b', 20) + lines('c', 5);
    const timer = setTimeout(() => ac.abort(), 3000);
    while (text(got) !== expected) {
      const next = await tail.next();
      if (next.done) break;
      got.push(...next.value);
    }
    clearTimeout(timer);
    ac.abort();
    await tail.return(undefined);
    expect(text(got)).toBe(expected);
  });

  it('writes checkpoints atomically and rejects a file that is not one', () => {
    const file = join(dir, 'cp', 'checkpoint.json');
    writeCheckpoint(file, { path: '/x', dev: 1, ino: 2, offset: 3, fingerprint: 'f', fingerprintBytes: 1 });
    expect(readCheckpoint(file)).toMatchObject({ version: 1, path: '/x', offset: 3 });
    expect(readCheckpoint(join(dir, 'none.json'))).toBeUndefined();
    writeFileSync(file, '{"offset": 1}');
    expect(() => readCheckpoint(file)).toThrow(/not a shipper checkpoint/);
  });
});
