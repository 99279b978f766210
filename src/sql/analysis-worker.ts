/**
 * The analysis worker thread: parses scripts and reads defining queries with node-sql-parser away from the
 * event loop, so that a query the parser takes long over (or never finishes) holds only this thread, which the
 * main thread can end. Answers one request at a time.
 */
import { parentPort } from 'node:worker_threads';
import { FreshetError, messageOf } from '../errors';
import type { AnalysisReply, AnalysisRequest, ErrorData } from './analysis-protocol';
import { parseScript } from './ddl-parser';
import { readColumnRefs } from './column-refs';
import { classifyParsed } from './incremental-shape';
import { readQuery } from './query-analyzer';
import { keepsNotNullOf } from './query-shape';

function answer(request: AnalysisRequest): unknown {
  if (request.op === 'parseScript') return parseScript(request.script);
  if (request.op === 'columnRefs') return readColumnRefs(request.query, request.dialect);
  const { analysis, statement } = readQuery(request.query, request.dialect);
  return { analysis, verdict: classifyParsed(statement, request.dialect), keepsNotNull: keepsNotNullOf(statement) };
}

function errorData(error: unknown): ErrorData {
  if (error instanceof FreshetError) {
    return {
      code: error.code,
      message: error.message,
      ...(error.line === undefined ? {} : { line: error.line }),
      ...(error.column === undefined ? {} : { column: error.column }),
      ...(error.details === undefined ? {} : { details: error.details }),
    };
  }
  return { code: 'INTERNAL', message: messageOf(error) };
}

const port = parentPort;
if (port !== null) {
  port.on('message', (request: AnalysisRequest) => {
    let reply: AnalysisReply;
    try {
      reply = { id: request.id, ok: true, value: answer(request) };
    } catch (error) {
      reply = { id: request.id, ok: false, error: errorData(error) };
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true } satisfies AnalysisReply);
}
