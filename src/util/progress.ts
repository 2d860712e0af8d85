// Progress of a long step (downloads, imports, installs): a Logger may draw it (the CLI redraws one line
// on a terminal); otherwise each item is one log line, as a CI log wants. Library code only says what
// happened; how it is shown belongs to the edge.

import type { Logger } from "./log.js";

export interface ProgressTask {
  /** One item finished (a wheel downloaded, a member imported), with the bytes it accounted for. */
  advance(item: string, bytes?: number): void;
  /** The step ended; `summary` is logged as an info line. */
  done(summary?: string): void;
}

export interface ProgressTotal {
  items: number;
  /** Known bytes to move, for a rate and an ETA. */
  bytes?: number;
  /** What an item is called ("wheel", "file"). */
  unit: string;
}

/** Logger that can draw progress itself (the CLI's, on a terminal). */
export interface ProgressLogger extends Logger {
  progress(title: string, total: ProgressTotal): ProgressTask;
}

function canDraw(log: Logger): log is ProgressLogger {
  return typeof (log as Partial<ProgressLogger>).progress === "function";
}

/**
 * Starts reporting a step on `log`: drawn where the logger can, else one "[i/n] item" line per item
 * (none with `lines: false`, for steps too quick or too many to list in a log).
 */
export function startProgress(log: Logger, title: string, total: ProgressTotal, opts: { lines?: boolean } = {}): ProgressTask {
  if (canDraw(log)) return log.progress(title, total);
  let done = 0;
  return {
    advance: (item) => {
      done++;
      if (opts.lines !== false) log.info(`[${done}/${total.items}] ${item}`);
    },
    done: (summary) => {
      if (summary) log.info(summary);
    },
  };
}

/** "12.3 MB" (decimal units, as download tools show them). */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, "0")}s`;
}

export interface ProgressState {
  title: string;
  total: ProgressTotal;
  items: number;
  bytes: number;
  last?: string;
  elapsedMs: number;
}

/** The one line a terminal shows for a step, cut to `width` columns. */
export function progressLine(state: ProgressState, width: number): string {
  const { total } = state;
  const parts = [`${state.title} ${state.items}/${total.items} ${total.unit}${total.items === 1 ? "" : "s"}`];
  if (total.bytes) {
    parts.push(`${formatBytes(state.bytes)}/${formatBytes(total.bytes)}`);
    const seconds = state.elapsedMs / 1000;
    if (seconds > 0.2 && state.bytes > 0) {
      const rate = state.bytes / seconds;
      parts.push(`${formatBytes(rate)}/s`, `ETA ${formatSeconds((total.bytes - state.bytes) / rate)}`);
    }
  }
  if (state.last) parts.push(state.last);
  const line = parts.join("  ");
  return line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line;
}
