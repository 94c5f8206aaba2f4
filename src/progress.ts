/**
 * A one-line progress bar for long batch commands, drawn on a terminal (normally stderr) and
 * redrawn in place with a carriage return. It has no dependencies and does nothing but write text.
 */

/** The part of a terminal stream that the bar uses. `columns` is the terminal width when known. */
export interface ProgressStream {
  write(text: string): boolean;
  readonly columns?: number;
}

export interface ProgressOptions {
  /** Text before the bar, e.g. "verdict lookup". */
  readonly label: string;
  /** Input size in bytes. When it is given, the bar shows the percentage of bytes read. */
  readonly totalBytes?: number;
  /** Minimum time between two redraws, in milliseconds. */
  readonly intervalMs?: number;
  /** Clock in milliseconds, injected by tests. */
  readonly now?: () => number;
}

export interface ProgressState {
  readonly items: number;
  readonly bytes: number;
  readonly elapsedMs: number;
}

/** Redraws at most 10 times a second: often enough to look live, rarely enough to cost nothing. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 100;
const BAR_WIDTH = 24;
const DEFAULT_COLUMNS = 80;
/** Moves the cursor to the start of the line and erases the line (ANSI CSI 2K). */
const CLEAR_LINE = '\r\x1b[2K';

const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Formats the bar's text without cursor control, e.g. "verdict lookup [######----]  60%  1,200 items  400 items/s". */
export function formatProgress(label: string, state: ProgressState, totalBytes: number | undefined): string {
  const rate = state.elapsedMs > 0 ? (state.items * 1000) / state.elapsedMs : 0;
  const counts = `${numberFormat.format(state.items)} items  ${numberFormat.format(rate)} items/s`;
  if (totalBytes === undefined || totalBytes <= 0) return `${label}  ${counts}`;

  const fraction = Math.min(1, state.bytes / totalBytes);
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  return `${label} ${bar} ${percent}  ${counts}`;
}

export class ProgressBar {
  private readonly started: number;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly options: ProgressOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.intervalMs = options.intervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
    this.started = this.now();
  }

  /** Redraws the bar with the new totals, unless it was drawn less than `intervalMs` ago. */
  update(items: number, bytes: number): void {
    const now = this.now();
    if (now - this.lastDraw < this.intervalMs) return;
    this.lastDraw = now;

    // A pseudo-terminal without a window size reports 0 columns. One column is left free because
    // writing into the last one makes some terminals wrap the line.
    const columns = this.stream.columns !== undefined && this.stream.columns > 0 ? this.stream.columns : DEFAULT_COLUMNS;
    const width = columns - 1;
    const text = formatProgress(this.options.label, { items, bytes, elapsedMs: now - this.started }, this.options.totalBytes);
    this.stream.write(`${CLEAR_LINE}${text.slice(0, width)}`);
    this.drawn = true;
  }

  /** Erases the bar so that the next output starts on a clean line. */
  clear(): void {
    if (!this.drawn) return;
    this.stream.write(CLEAR_LINE);
    this.drawn = false;
  }
}
