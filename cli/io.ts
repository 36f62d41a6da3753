/**
 * What a command touches outside itself: output streams, the live display, prompts, time and
 * Ctrl-C. The entry (cli/mlops.ts) gives the terminal's; tests give recording ones.
 */
export interface LiveDisplay {
  /** Shows the latest state of a run (a block of lines). */
  update(block: string): void;
  /** Leaves the last block on the screen and stops redrawing. */
  done(): void;
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Colours: stdout is a terminal and NO_COLOR (https://no-color.org) is unset. */
  readonly color: boolean;
  /** The live display redraws in place (stdout is a terminal); else it prints each new line once. */
  readonly redraw: boolean;
  /** True when the user can answer a prompt (stdin is a terminal). */
  readonly interactive: boolean;
  live(): LiveDisplay;
  /** Asks a yes/no question; false unless the answer starts with y. */
  confirm(question: string): Promise<boolean>;
  sleep(ms: number): Promise<void>;
  /** Calls `handler` on Ctrl-C until the returned function is called. */
  onInterrupt(handler: () => void): () => void;
  now(): number;
}

/**
 * A display for logs and pipes: each line is printed once, when it first appears, so the output
 * reads as a log of transitions rather than a redrawn screen.
 */
export function appendOnlyDisplay(write: (text: string) => void): LiveDisplay {
  const printed = new Set<string>();
  return {
    update(block: string) {
      const fresh = block.split('\n').filter((line) => line.trim() !== '' && !printed.has(line));
      fresh.forEach((line) => printed.add(line));
      if (fresh.length) write(fresh.join('\n') + '\n');
    },
    done() { /* every line is already out */ },
  };
}
