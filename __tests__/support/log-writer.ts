import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * Writes an access log as nginx does: appends through an open descriptor and reopens the file on request (nginx's
 * USR1 after logrotate's rename). `line(n)` is the n-th line, its newline included; `written` keeps every line.
 */
export class LogWriter {
  private fd: number;
  private n = 0;
  readonly written: string[] = [];
  constructor(
    private readonly path: string,
    private readonly line: (n: number) => string,
  ) {
    this.fd = openSync(path, 'a');
  }
  write(count: number): void {
    let text = '';
    for (let i = 0; i < count; i++, this.n++) {
      const line = this.line(this.n);
      text += line;
      this.written.push(line);
    }
    writeSync(this.fd, text);
  }
  reopen(): void {
    closeSync(this.fd);
    this.fd = openSync(this.path, 'a');
  }
  close(): void {
    closeSync(this.fd);
  }
}
