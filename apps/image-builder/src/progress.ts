/** Step-by-step progress on stderr ("[  1.2s] step"), so a long cold build shows where it is. */
export interface Progress {
  step(message: string): void;
}

export function stderrProgress(): Progress {
  const start = performance.now();
  return {
    step(message) {
      const seconds = ((performance.now() - start) / 1000).toFixed(1).padStart(5);
      process.stderr.write(`[${seconds}s] ${message}\n`);
    },
  };
}

export const silentProgress: Progress = { step: () => {} };
