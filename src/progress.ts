/**
 * Requests a plan may send before progress is worth showing: a plain run
 * (nine requests, under a second) shows none; a matrix does.
 */
export const PROGRESS_THRESHOLD_REQUESTS = 20;

export type ProgressOptions = {
  write: (text: string) => void;
  /** Progress is for a person watching a terminal; CI logs get none. */
  isTty: boolean;
  plannedRequests: number;
};

/**
 * One self-overwriting status line on a terminal, cleared at the end.
 * Silent unless the stream is a TTY and the plan is longer than a few
 * requests.
 */
export class Progress {
  readonly isEnabled: boolean;
  private readonly write: (text: string) => void;
  private isShown = false;

  constructor(options: ProgressOptions) {
    this.write = options.write;
    this.isEnabled = options.isTty && options.plannedRequests > PROGRESS_THRESHOLD_REQUESTS;
  }

  /** Replaces the status line with `text`. */
  update(text: string): void {
    if (!this.isEnabled) return;
    this.write(`\r\x1b[2K${text}`);
    this.isShown = true;
  }

  /** Clears the line, so results print on a clean one. */
  end(): void {
    if (!this.isShown) return;
    this.write('\r\x1b[2K');
    this.isShown = false;
  }
}
