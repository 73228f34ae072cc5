import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { zipDirectory } from '../../stacks/bundle-archive';

function bundleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
  writeFileSync(join(dir, 'index.js'), 'exports.handler = async () => ({ records: [] });\n');
  mkdirSync(join(dir, 'lib'));
  writeFileSync(join(dir, 'lib', 'util.js'), 'module.exports = 42;\n');
  return dir;
}

/** The entries of a zip, read from its local headers. */
function entries(zip: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (zip.readUInt32LE(at) === 0x04034b50) {
    const size = zip.readUInt32LE(at + 18);
    const nameLength = zip.readUInt16LE(at + 26);
    const name = zip.subarray(at + 30, at + 30 + nameLength).toString();
    const start = at + 30 + nameLength + zip.readUInt16LE(at + 28);
    out[name] = inflateRawSync(zip.subarray(start, start + size)).toString();
    at = start + size;
  }
  return out;
}

describe('zipDirectory', () => {
  it('holds every file under its relative path', () => {
    expect(entries(zipDirectory(bundleDir()))).toEqual({
      'index.js': 'exports.handler = async () => ({ records: [] });\n',
      'lib/util.js': 'module.exports = 42;\n',
    });
  });

  it('gives the same bytes for the same content, whatever the file times', () => {
    const dir = bundleDir();
    const before = zipDirectory(dir);
    utimesSync(join(dir, 'index.js'), new Date('2030-01-01'), new Date('2030-01-01'));
    expect(zipDirectory(dir).equals(before)).toBe(true);
  });

  it('changes when the content changes', () => {
    const dir = bundleDir();
    const before = zipDirectory(dir);
    writeFileSync(join(dir, 'index.js'), 'exports.handler = async () => ({ records: [1] });\n');
    expect(zipDirectory(dir).equals(before)).toBe(false);
  });

  it('gives the same bytes in every time zone', () => {
    const dir = bundleDir();
    const saved = process.env.TZ;
    try {
      process.env.TZ = 'UTC';
      const utc = zipDirectory(dir);
      process.env.TZ = 'Asia/Seoul';
      expect(zipDirectory(dir).equals(utc)).toBe(true);
      process.env.TZ = 'America/Los_Angeles';
      expect(zipDirectory(dir).equals(utc)).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('stores 1980-01-01 00:00 and a readable regular file (rw-r--r--) for every entry, as Lambda needs', () => {
    const zip = zipDirectory(bundleDir());
    const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    let at = zip.readUInt32LE(end + 16);
    for (let i = 0; i < zip.readUInt16LE(end + 10); i++) {
      expect(zip.readUInt32LE(at)).toBe(0x02014b50);
      expect([zip.readUInt16LE(at + 12), zip.readUInt16LE(at + 14)]).toEqual([0, 0x21]);
      expect(zip.readUInt8(at + 5)).toBe(3); // made by Unix, so the mode below is read
      expect(zip.readUInt32LE(at + 38) >>> 16).toBe(0o100644);
      at += 46 + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    }
  });

  it('fails for an empty directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'empty-'));
    expect(() => zipDirectory(dir)).toThrow(`cannot zip ${dir}: it has no files`);
  });
});
