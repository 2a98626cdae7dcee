/**
 * Numbered steps with elapsed times; a step's output is indented under it, and a silent step
 * prints a heartbeat so that a long guest-image build does not look like a hang.
 */
export class Progress {
  #n = 0;
  readonly #total: number;
  readonly #write: (text: string) => void;

  constructor(total: number, write: (text: string) => void = (t) => void process.stderr.write(t)) {
    this.#total = total;
    this.#write = write;
  }

  async step<T>(title: string, work: (log: (line: string) => void) => Promise<T>): Promise<T> {
    this.#n++;
    const started = Date.now();
    this.#write(`[${this.#n}/${this.#total}] ${title}\n`);
    let lastOutput = Date.now();
    const heartbeat = setInterval(() => {
      if (Date.now() - lastOutput >= 15_000) {
        this.#write(`      … still working (${seconds(started)})\n`);
        lastOutput = Date.now();
      }
    }, 5_000);
    const log = (line: string): void => {
      lastOutput = Date.now();
      if (line.trim()) this.#write(`      ${line}\n`);
    };
    try {
      const result = await work(log);
      this.#write(`      done in ${seconds(started)}\n`);
      return result;
    } finally {
      clearInterval(heartbeat);
    }
  }
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
