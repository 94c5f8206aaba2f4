/**
 * Exit codes of the `verdict` command, in a module of their own so that the subcommands can return
 * them without importing the entry point.
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
/** `verdict lookup --fail-on V`: at least one item got verdict V. */
export const EXIT_FAIL_ON_MATCH = 2;
/** A usage error, as in sysexits.h (EX_USAGE). */
export const EXIT_USAGE = 64;
