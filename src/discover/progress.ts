import { terminalSafe } from "../util/terminal.js";

/**
 * What discovery is waiting on, on stderr. On a terminal: one line per source, rewritten in place
 * (at most ten times a second). Elsewhere (CI logs, pipes): a plain line per new message.
 */
export interface Progress {
  update(label: string, message: string): void;
  close(): void;
}

interface Stream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function createProgress(labels: string[], stream: Stream = process.stderr, tty: boolean = stream.isTTY === true): Progress {
  return tty ? new TerminalProgress(labels, stream) : new LogProgress(stream);
}

class LogProgress implements Progress {
  private readonly last = new Map<string, string>();
  constructor(private readonly stream: Stream) {}
  update(label: string, message: string): void {
    if (this.last.get(label) === message) return;
    this.last.set(label, message);
    this.stream.write(`cmdb: ${terminalSafe(label)}: ${terminalSafe(message)}\n`);
  }
  close(): void {}
}

const REDRAW_MS = 100;

class TerminalProgress implements Progress {
  private readonly lines: Map<string, string>;
  private readonly width: number;
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly started = Date.now();

  constructor(
    labels: string[],
    private readonly stream: Stream,
  ) {
    this.lines = new Map(labels.map((l) => [l, "starting"]));
    this.width = Math.max(...labels.map((l) => l.length));
    this.draw();
  }

  update(label: string, message: string): void {
    this.lines.set(label, message);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, REDRAW_MS);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.draw();
  }

  private draw(): void {
    const columns = this.stream.columns ?? 100;
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    let out = this.drawn > 0 ? `\x1b[${this.drawn}F` : "";
    for (const [label, message] of this.lines) {
      const line = terminalSafe(`${label.padEnd(this.width)}  ${message}`);
      out += `\x1b[2K${line.length > columns - 1 ? `${line.slice(0, columns - 2)}…` : line}\n`;
    }
    out += `\x1b[2K${seconds} s\n`;
    this.drawn = this.lines.size + 1;
    this.stream.write(out);
  }
}
