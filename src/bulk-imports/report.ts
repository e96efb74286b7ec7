/** What an import reports: counts, and every bad row with its line and reason. */

import type { ReasonCode } from '../errors.ts';

export interface ImportProblem {
  /** Line of the file where the row starts (the header is line 1). */
  line: number;
  /** The column at fault, by the field it maps to (templateId, content, number, ...). */
  field?: string;
  code: ReasonCode;
  message: string;
}

/** Bad rows reported at most; `invalidRows` still counts them all. */
export const MAX_REPORTED_PROBLEMS = 1000;

/** Collects the problems of bad rows, keeping the first MAX_REPORTED_PROBLEMS and counting all. */
export class ProblemList {
  readonly problems: ImportProblem[] = [];
  #rows = 0;
  #count = 0;

  /** The problems of one row (none: a good row). */
  addRow(problems: readonly ImportProblem[]): void {
    if (problems.length === 0) return;
    this.#rows++;
    for (const p of problems) {
      this.#count++;
      if (this.problems.length < MAX_REPORTED_PROBLEMS) this.problems.push(p);
    }
  }

  /** Rows with at least one problem. */
  get invalidRows(): number {
    return this.#rows;
  }

  get truncated(): boolean {
    return this.#count > this.problems.length;
  }

  get empty(): boolean {
    return this.#count === 0;
  }
}

/** Reported as progress while a file is read. */
export interface ImportProgress {
  rows: number;
}

/** Thrown inside a streamed import to roll it back once every row has been read. */
export class ImportRefused extends Error {
  constructor() {
    super('the file has invalid rows; nothing was imported');
    this.name = 'ImportRefused';
  }
}
