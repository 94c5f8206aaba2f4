/**
 * Crash points for recovery tests: when the environment variable VERDICT_FAILPOINT names a point,
 * the process kills itself with SIGKILL there, as a power cut or OOM kill would. Unset, each check is
 * one property read.
 */
export type Failpoint =
  | 'fetch:during-download'
  | 'build:after-parse'
  | 'build:after-shards'
  | 'build:before-publish'
  | 'build:after-rename';

export function failpoint(name: Failpoint): void {
  if (process.env['VERDICT_FAILPOINT'] === name) process.kill(process.pid, 'SIGKILL');
}
