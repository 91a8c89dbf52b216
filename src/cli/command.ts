// The shape of a CLI command and the usage error every command throws for bad arguments.
import { AdaptlabError } from '../core/errors.js';

/** Bad command-line usage: exit code 2. */
export class UsageError extends AdaptlabError {
  constructor(detail: string) {
    super('E_USAGE', detail);
  }
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** returns the exit code (0 ok, 1 failed) */
  run(argv: string[]): Promise<number> | number;
}
