import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** How many statements the history keeps, in memory and in its file. */
export const HISTORY_SIZE = 500;

/**
 * Where the interactive client keeps its history: `FRESHET_HISTORY`, else `~/.freshet_history`. An empty
 * `FRESHET_HISTORY` (or no home directory) keeps no file.
 */
export function historyPath(env: NodeJS.ProcessEnv): string | undefined {
  const configured = env.FRESHET_HISTORY;
  if (configured !== undefined) return configured.trim() === '' ? undefined : configured;
  const home = env.HOME ?? env.USERPROFILE;
  return home === undefined || home === '' ? undefined : join(home, '.freshet_history');
}

/**
 * Statements typed in the interactive client, one entry per statement however many lines it took, saved
 * between sessions. The file holds one statement a line, oldest first, with `\` written `\\` and a line break
 * `\n`, so a statement over several lines comes back as it was typed.
 */
export class StatementHistory {
  /** Newest first, as readline keeps its history. */
  readonly entries: string[];
  #warned = false;

  constructor(
    private readonly path: string | undefined,
    private readonly warn: (message: string) => void,
  ) {
    this.entries = path === undefined ? [] : readEntries(path).reverse().slice(0, HISTORY_SIZE);
  }

  /** Records a statement sent (a repeat of the last one is not recorded twice) and saves the file. */
  add(statement: string): void {
    const entry = statement.trim();
    if (entry === '' || this.entries[0] === entry) return;
    this.entries.unshift(entry);
    this.entries.splice(HISTORY_SIZE);
    this.save();
  }

  private save(): void {
    if (this.path === undefined) return;
    const text = [...this.entries].reverse().map(escapeEntry).join('\n');
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      // The history may hold secrets typed into statements: readable by its owner only.
      writeFileSync(this.path, `${text}\n`, { mode: 0o600 });
    } catch (error) {
      if (this.#warned) return;
      this.#warned = true;
      const reason = (error as NodeJS.ErrnoException).code ?? String(error);
      this.warn(`warning: cannot save the history to ${this.path} (${reason}); set FRESHET_HISTORY to change where.`);
    }
  }
}

function readEntries(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(unescapeEntry);
}

function escapeEntry(entry: string): string {
  return entry.replace(/\\/g, '\\\\').replace(/\r?\n/g, '\\n');
}

function unescapeEntry(line: string): string {
  return line.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}
