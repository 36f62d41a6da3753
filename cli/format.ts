import Table from 'cli-table3';
import pc from 'picocolors';

/** Colours of statuses, or plain text when the output is not a terminal. */
export interface Paint {
  status(status: string): string;
  dim(text: string): string;
  bold(text: string): string;
  bad(text: string): string;
  warn(text: string): string;
}

export function paint(rich: boolean): Paint {
  const c = pc.createColors(rich);
  return {
    status(status: string) {
      const s = status.toUpperCase();
      if (['SUCCEEDED', 'COMPLETED', 'APPROVED', 'OK', 'INSERVICE'].includes(s)) return c.green(status);
      if (['FAILED', 'TIMED_OUT', 'ABORTED', 'STOPPED', 'REJECTED', 'ALARM'].includes(s)) return c.red(status);
      if (['RUNNING', 'INPROGRESS', 'IN_PROGRESS', 'PENDING_REDRIVE', 'STOPPING', 'INSUFFICIENT_DATA'].includes(s)) return c.yellow(status);
      return status;
    },
    dim: (text) => c.dim(text),
    bold: (text) => c.bold(text),
    bad: (text) => c.red(text),
    warn: (text) => c.yellow(text),
  };
}

/** A table with a header row; borders only on a terminal, aligned plain columns otherwise. */
export function table(head: string[], rows: string[][], rich: boolean): string {
  const t = new Table(rich
    ? { head, style: { head: ['bold'], border: [] } }
    : {
      head,
      chars: {
        'top': '', 'top-mid': '', 'top-left': '', 'top-right': '', 'bottom': '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
        'left': '', 'left-mid': '', 'mid': '', 'mid-mid': '', 'right': '', 'right-mid': '', 'middle': '  ',
      },
      style: { 'head': [], 'border': [], 'padding-left': 0, 'padding-right': 0 },
    });
  t.push(...rows);
  return t.toString().split('\n').map((line) => line.trimEnd()).join('\n') + '\n';
}

/** `1h02m`, `3m05s`, `42s`. */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '-';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** `2026-12-01 10:00:05Z` */
export function time(date: Date | undefined): string {
  return date ? date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-';
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
