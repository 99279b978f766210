/**
 * Parsing and analysis of the gateway's own statements, off the event loop. node-sql-parser backtracks
 * exponentially on some malformed queries (seconds to forever, gigabytes of memory) and the statement parser
 * is linear but not free on a megabyte of text, so both run in one worker thread with a deadline: a request
 * that overruns it ends the thread (a fresh one is started) and is answered with a 400 that says the query is
 * too complex to analyse. Requests queue and run one at a time; the event loop only posts and receives.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { FreshetError, validationError } from '../errors';
import type { SqlDialect } from '../model';
import type { AnalysisReply, AnalysisRequest, AnalysisResults, QueryReading } from './analysis-protocol';
import type { ColumnRef } from './column-refs';
import { parseScript } from './ddl-parser';
import { rememberVerdict } from './incremental-shape';
import type { QueryAnalysis } from './query-analyzer';
import { rememberKeepsNotNull } from './query-shape';
import type { QueryText, Statement } from './statements';

/** How long node-sql-parser may take over one defining query: legitimate queries take milliseconds. */
export const QUERY_ANALYSIS_DEADLINE_MS = 1_000;
/** Scripts up to this many characters are parsed on the event loop (a few milliseconds at most). */
const INLINE_SCRIPT_CHARACTERS = 16 * 1024;
/** Parsing a script is linear in its length: this only guards against a bug, never a normal script. */
const SCRIPT_DEADLINE_MS = 20_000;
/** Heap of the worker: node-sql-parser's worst cases grow to gigabytes when left alone. */
const WORKER_HEAP_MB = 512;

/** Splits and parses `script` like {@link parseScript}; a long script is parsed in the worker thread. */
export async function parseScriptOffLoop(script: string): Promise<Statement[]> {
  if (script.length <= INLINE_SCRIPT_CHARACTERS) return parseScript(script);
  return analysisThread.run('parseScript', { script }, SCRIPT_DEADLINE_MS);
}

/**
 * {@link analyzeQuery} in the worker thread, within {@link QUERY_ANALYSIS_DEADLINE_MS}. The query's incremental
 * verdict comes from the same parse and is remembered, so classifying it afterwards needs no parse here.
 */
export async function analyzeQueryOffLoop(query: QueryText, dialect: SqlDialect): Promise<QueryAnalysis> {
  const reading: QueryReading = await analysisThread.run('readQuery', { query, dialect }, QUERY_ANALYSIS_DEADLINE_MS);
  rememberVerdict(query.text, dialect, reading.verdict);
  rememberKeepsNotNull(query.text, dialect, reading.keepsNotNull);
  return reading.analysis;
}

/**
 * The columns a stored defining query reads (see column-refs.ts), within {@link QUERY_ANALYSIS_DEADLINE_MS}; null
 * when it cannot be read.
 */
export async function columnRefsOffLoop(query: string, dialect: SqlDialect): Promise<ColumnRef[] | null> {
  return analysisThread.run('columnRefs', { query, dialect }, QUERY_ANALYSIS_DEADLINE_MS);
}

type Op = keyof AnalysisResults;
type Args<K extends Op> = Omit<Extract<AnalysisRequest, { op: K }>, 'id' | 'op'>;

const tooComplex = (what: string) =>
  validationError(
    `The query is too complex to analyse: ${what}. Simplify it (fewer nested subqueries, parentheses, joins or ` +
      'terms), or split it into several dynamic tables.',
  );

/**
 * The worker script sits next to this file with the same extension: `.js` when running compiled code from
 * `dist/`, `.ts` under tsx, where the worker needs tsx's require hook to load TypeScript itself.
 */
function startWorker(): Worker {
  const extension = path.extname(__filename);
  return new Worker(path.join(__dirname, `analysis-worker${extension}`), {
    execArgv: extension === '.ts' ? ['--require', require.resolve('tsx/cjs')] : [],
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
  });
}

/** A started worker: resolves once it has loaded its modules. */
interface Running {
  readonly worker: Worker;
  readonly ready: Promise<void>;
}

class AnalysisThread {
  private running: Running | null = null;
  /** Requests run one after another: each waits for the one before it. */
  private tail: Promise<unknown> = Promise.resolve();
  private nextId = 1;

  run<K extends Op>(op: K, args: Args<K>, deadlineMs: number): Promise<AnalysisResults[K]> {
    const result = this.tail.then(() => this.send(op, args, deadlineMs));
    this.tail = result.catch(() => undefined);
    return result as Promise<AnalysisResults[K]>;
  }

  private current(): Running {
    if (this.running !== null) return this.running;
    const worker = startWorker();
    worker.unref();
    // A request in flight hears of a failure through its own listeners; an idle worker that fails just exits.
    worker.on('error', () => undefined);
    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: AnalysisReply) => {
        if ('ready' in message) resolve();
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', () => reject(new FreshetError('INTERNAL', 'The analysis worker stopped while starting')));
    });
    // A worker that fails is replaced on the next request.
    const forget = () => {
      if (this.running?.worker === worker) this.running = null;
    };
    worker.once('exit', forget);
    ready.catch(forget);
    this.running = { worker, ready };
    return this.running;
  }

  private async send<K extends Op>(op: K, args: Args<K>, deadlineMs: number): Promise<unknown> {
    const { worker, ready } = this.current();
    await ready;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        worker.unref();
        outcome();
      };
      const onMessage = (reply: AnalysisReply) => {
        if ('ready' in reply || reply.id !== id) return;
        settle(() => (reply.ok ? resolve(reply.value) : reject(rebuild(reply.error))));
      };
      const onError = (error: Error & { code?: string }) =>
        settle(() =>
          reject(
            error.code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? tooComplex(`reading it needs more than ${WORKER_HEAP_MB} MB of memory`)
              : new FreshetError('INTERNAL', `The analysis worker failed: ${error.message}`, { cause: error }),
          ),
        );
      const onExit = () => settle(() => reject(new FreshetError('INTERNAL', 'The analysis worker stopped')));
      const timer = setTimeout(() => {
        settle(() => reject(tooComplex(`reading it takes longer than ${deadlineMs} ms`)));
        this.running = null;
        void worker.terminate();
        // Started now, the next worker is ready by the time the next request comes.
        this.current().ready.catch(() => undefined);
      }, deadlineMs);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.ref();
      worker.postMessage({ id, op, ...args });
    });
  }
}

function rebuild(error: {
  code: FreshetError['code'];
  message: string;
  line?: number;
  column?: number;
  details?: unknown;
}) {
  return new FreshetError(error.code, error.message, {
    line: error.line,
    column: error.column,
    details: error.details,
  });
}

const analysisThread = new AnalysisThread();
