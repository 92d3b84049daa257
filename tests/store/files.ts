// What a deletion leaves on disk: the tests of erasure (the SQLite store's, the service's) look for
// deleted text in every file of a data folder, as bytes, wherever the database put it (the main
// file, its WAL, its shared-memory index).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

/** "file: text" for each of `texts` found in a file under `dir`, as its UTF-8 bytes. */
export function filesHolding(dir: string, texts: string[]): string[] {
  return filesUnder(dir).flatMap((file) => {
    const bytes = readFileSync(file);
    return texts.filter((text) => bytes.includes(Buffer.from(text, 'utf8'))).map((text) => `${file}: ${text}`);
  });
}
