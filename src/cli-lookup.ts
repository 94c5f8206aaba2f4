/** `verdict lookup`: offline batch checks against the local stores. */
import type { VerdictConfig } from './config.js';
import type { Logger } from './logger.js';

export interface LookupCommandOptions {
  readonly input: string;
  readonly format: string;
  readonly failOn: string | undefined;
  readonly logger: Logger;
}

export async function runLookupCommand(_config: VerdictConfig, _options: LookupCommandOptions): Promise<number> {
  throw new Error('lookup is not implemented yet');
}
