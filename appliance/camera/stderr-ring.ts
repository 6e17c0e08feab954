/** Keeps the last `capacity` lines written to a subprocess's standard error. */
export class StderrRing {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(
    private readonly capacity = 100,
    /** Lines matching this are dropped, for known noise that would push real errors out of the ring. */
    private readonly ignore?: RegExp,
    /** Called with each stored line as it completes, so a running process's warnings can be logged at once. */
    private readonly onLine?: (line: string) => void,
  ) {}

  /** Append text; ffmpeg ends progress lines with a bare carriage return, so both `\r` and `\n` end a line. */
  push(chunk: Buffer | string): void {
    const parts = (this.partial + chunk.toString('utf8')).split(/\r\n|\r|\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.add(line);
  }

  /** Stored lines, oldest first, including an unterminated last line. */
  tail(): string[] {
    return this.partial === '' ? [...this.lines] : [...this.lines, this.partial];
  }

  clear(): void {
    this.lines.length = 0;
    this.partial = '';
  }

  private add(line: string): void {
    if (line.trim() === '') return;
    if (this.ignore?.test(line) === true) return;
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.shift();
    this.onLine?.(line);
  }
}
