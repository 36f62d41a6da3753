import { Io, LiveDisplay } from '../../cli/io';
import { program } from '../../cli/program';

/** A recording Io: what the commands printed, drew and asked, on a clock the test moves. */
export class FakeIo implements Io {
  public stdout = '';
  public stderr = '';
  public frames: string[] = [];
  public questions: string[] = [];
  public answers: boolean[] = [];
  public sleeps: number[] = [];
  public clock = Date.parse('2026-12-01T10:00:00Z');
  public interactive = false;
  public color = false;
  public redraw = false;
  /** Called on each sleep, e.g. to press Ctrl-C. */
  public onSleep?: (n: number) => void;
  private interrupt?: () => void;

  out(text: string) { this.stdout += text; }
  err(text: string) { this.stderr += text; }
  live(): LiveDisplay {
    return { update: (block) => { this.frames.push(block); }, done: () => undefined };
  }
  async confirm(question: string) { this.questions.push(question); return this.answers.shift() ?? false; }
  async sleep(ms: number) {
    this.sleeps.push(ms);
    this.clock += ms;
    this.onSleep?.(this.sleeps.length);
  }
  onInterrupt(handler: () => void) { this.interrupt = handler; return () => { this.interrupt = undefined; }; }
  pressCtrlC() { this.interrupt?.(); }
  now() { return this.clock; }
}

/** Runs `mlops <args>` in-process; the SDK clients are whatever aws-sdk-client-mock made of them. */
export async function mlops(io: FakeIo, ...args: string[]): Promise<number> {
  let code = 0;
  const cmd = program(io, (c) => { code = c; });
  cmd.exitOverride();
  await cmd.parseAsync([...args, '--region', 'us-east-1'], { from: 'user' });
  return code;
}
