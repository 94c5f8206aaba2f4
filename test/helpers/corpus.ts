/** Paths of the project and of the shared feed corpus, which tests read in place and never copy. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CORPUS_DIR = resolve(PROJECT_ROOT, '../shared/corpus');

/** Absolute path of a corpus file, e.g. `corpusFile('hashes/eset_nukesped_lazarus_samples.md5')`. */
export function corpusFile(relative: string): string {
  return resolve(CORPUS_DIR, relative);
}

/** Non-empty lines of a text file, trimmed. */
export function readLines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}
