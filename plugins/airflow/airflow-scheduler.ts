/**
 * The `airflow` scheduler: one DAG per dynamic table. Airflow cannot create DAGs over REST, so the plugin writes
 * a DAG file into Airflow's DAGs folder, waits for the DAG processor to load it, and drives the DAG through the
 * REST API from then on (pause, unpause, delete). See examples/airflow/README.md for the Airflow side.
 */
import {
  type CreateRefreshWorkflowRequest,
  FreshetError,
  isValidTimeZone,
  type ListedWorkflow,
  messageOf,
  type RefreshHandler,
  type RefreshSchedule,
  type SchedulerContext,
  schedulerError,
  validationError,
  type WorkflowInspection,
  type WorkflowModification,
  type WorkflowScheduler,
} from '../../src/plugin-api';
import { AirflowClient, type AirflowDag, type AirflowImportError } from './airflow-client';
import { dagIdFor, handlerOf, readHandler, type AirflowHandler } from './airflow-handler';
import { dagsFolderProblem, type AirflowOptions } from './airflow-options';
import {
  TABLE_TAG_PREFIX,
  dagFileExists,
  dagSpecOf,
  describeStatement,
  readDagFile,
  removeDagFile,
  renderDagFile,
  tableTag,
  writeDagFile,
  type DagSpec,
} from './dag-file';

/** The tag every Freshet DAG carries. */
const FRESHET_TAG = 'freshet';
/** Plugin state: the table of a DAG whose identifier is too long for a tag. */
const tableKey = (dagId: string) => `table:${dagId}`;

type Lifecycle = 'new' | 'open' | 'closed';

export class AirflowScheduler implements WorkflowScheduler {
  readonly #options: AirflowOptions;
  readonly #context: SchedulerContext;
  readonly #client: AirflowClient;
  /** Calls for one DAG run one at a time, so two writers never interleave on its file. */
  readonly #queues = new Map<string, Promise<unknown>>();
  #lifecycle: Lifecycle = 'new';

  constructor(options: AirflowOptions, context: SchedulerContext) {
    this.#options = Object.freeze({ ...options });
    this.#context = context;
    this.#client = new AirflowClient(options);
  }

  async open(): Promise<void> {
    if (this.#lifecycle === 'closed')
      throw schedulerError('The Airflow scheduler was closed; create a new instance to open it again.');
    const problem = dagsFolderProblem(this.#options.dagsFolder);
    if (problem !== null) throw schedulerError(`The Airflow scheduler cannot write DAG files: ${problem}.`);
    this.#lifecycle = 'open';
    // Airflow being down or slow must not keep the gateway from starting; every later call reports it.
    void this.#client.checkAccess().catch((error: unknown) => {
      this.#context.logger.warn('Airflow is not reachable or refuses the configured credentials.', {
        error: messageOf(error),
      });
    });
  }

  async close(): Promise<void> {
    this.#lifecycle = 'closed';
    await Promise.allSettled([...this.#queues.values()]);
  }

  async createRefreshWorkflow(request: CreateRefreshWorkflowRequest): Promise<RefreshHandler> {
    this.#assertOpen();
    const unixCron = minuteCron(request.tableIdentifier, request.schedule);
    const dagId = dagIdFor(this.#options.dagIdPrefix, request.tableIdentifier);
    const spec: DagSpec = {
      dagId,
      tableIdentifier: request.tableIdentifier,
      description: describeStatement(request.statement),
      unixCron,
      timeZone: request.schedule.timeZone,
      refreshUrl: request.callback.refreshUrl,
      jobsUrl: request.callback.jobsUrl,
      token: request.callback.token,
      configuration: {},
    };
    return this.#serially(dagId, () => this.#create(spec, handlerOf(dagId, this.#options.apiVersion)));
  }

  async modifyRefreshWorkflow(handler: RefreshHandler, modification: WorkflowModification): Promise<RefreshHandler> {
    this.#assertOpen();
    const airflow = readHandler(handler);
    if (airflow === null) throw schedulerError(`${JSON.stringify(handler)} is not the handler of an Airflow DAG.`);
    return this.#serially(airflow.dagId, async () => {
      const content = await readDagFile(this.#options.dagsFolder, airflow.fileName);
      if (content === null) throw this.#missing(airflow, 'its DAG file is gone');
      switch (modification.kind) {
        case 'suspend':
          if ((await this.#client.setPaused(airflow.dagId, true)) === null)
            throw this.#missing(airflow, 'Airflow has no such DAG');
          break;
        case 'resume': {
          const spec = this.#specOf(airflow, content);
          await this.#requireDag(airflow);
          await this.#write(
            airflow,
            renderDagFile({ ...spec, configuration: { ...modification.dynamicOptions } }, this.#options),
          );
          if ((await this.#client.setPaused(airflow.dagId, false)) === null)
            throw this.#missing(airflow, 'Airflow has no such DAG');
          break;
        }
        case 'reschedule':
          await this.#reschedule(airflow, content, modification.schedule);
          break;
      }
      return airflow;
    });
  }

  async deleteRefreshWorkflow(handler: RefreshHandler): Promise<void> {
    this.#assertOpen();
    const airflow = readHandler(handler);
    if (airflow === null) {
      this.#context.logger.warn('Ignoring the deletion of a workflow that is not an Airflow DAG.', { handler });
      return;
    }
    return this.#serially(airflow.dagId, async () => {
      // Paused first, so that no run starts while the file goes; the file before the metadata, or the DAG
      // processor would load the DAG again.
      await this.#client.setPaused(airflow.dagId, true);
      await this.#remove(airflow);
      await this.#client.deleteDag(airflow.dagId);
      await this.#context.stateStore.delete(tableKey(airflow.dagId));
    });
  }

  async inspect(handler: RefreshHandler): Promise<WorkflowInspection> {
    this.#assertOpen();
    const airflow = readHandler(handler);
    const gone: WorkflowInspection = { exists: false, paused: null, schedule: null };
    if (airflow === null || !(await dagFileExists(this.#options.dagsFolder, airflow.fileName))) return gone;
    const dag = await this.#client.getDag(airflow.dagId);
    if (dag === null || !dag.active) return gone;
    return { exists: true, paused: dag.paused, schedule: dag.schedule };
  }

  async listRefreshWorkflows(): Promise<readonly ListedWorkflow[]> {
    this.#assertOpen();
    const listed: ListedWorkflow[] = [];
    for (const dag of await this.#client.listDags(FRESHET_TAG)) {
      // Other gateways sharing this Airflow use other prefixes or DAGs folders.
      if (!dag.dagId.startsWith(this.#options.dagIdPrefix) || !dag.active) continue;
      const handler = handlerOf(dag.dagId, this.#options.apiVersion);
      if (!(await dagFileExists(this.#options.dagsFolder, handler.fileName))) continue;
      listed.push({ tableIdentifier: await this.#tableOf(dag), handler: handler, paused: dag.paused });
    }
    return listed;
  }

  async #create(spec: DagSpec, handler: AirflowHandler): Promise<RefreshHandler> {
    // Import errors already recorded for this file name (a failed attempt) are not this attempt's.
    const earlier = await this.#client.importErrorsFor(handler.fileName);
    await this.#write(handler, renderDagFile(spec, this.#options));
    try {
      const loaded = await this.#awaitLoaded(handler, spec.unixCron, earlier);
      if (loaded === null) {
        throw schedulerError(
          `Airflow did not load DAG ${handler.dagId} from ${handler.fileName} within ` +
            `${this.#options.parseTimeoutSeconds} s. ` +
            `Check that dagsFolder (${this.#options.dagsFolder}) is the folder Airflow reads DAG files from and ` +
            `that its DAG processor runs: ` +
            'Airflow looks for new files every [scheduler] dag_dir_list_interval (Airflow 2) or [dag_processor] ' +
            'refresh_interval (Airflow 3), 300 s by default.',
        );
      }
      if ((await this.#client.setPaused(handler.dagId, false)) === null)
        throw this.#missing(handler, 'Airflow lost the DAG right after loading it');
      if (tableTag(spec.tableIdentifier) === null)
        await this.#context.stateStore.put(tableKey(handler.dagId), spec.tableIdentifier);
      this.#context.logger.info('Created Airflow DAG.', {
        table: spec.tableIdentifier,
        dagId: handler.dagId,
        cron: spec.unixCron,
      });
      return handler;
    } catch (error) {
      throw await this.#undoCreate(handler, error);
    }
  }

  /** Removes what a failed create made; the error to throw names the leftover when that fails too. */
  async #undoCreate(handler: AirflowHandler, error: unknown): Promise<unknown> {
    try {
      await this.#remove(handler);
      await this.#client.deleteDag(handler.dagId);
      return error;
    } catch (cleanup) {
      this.#context.logger.error('Could not remove the DAG of a failed create.', {
        dagId: handler.dagId,
        error: messageOf(cleanup),
      });
      return new FreshetError(
        'SCHEDULER_ERROR',
        `${messageOf(error)} Removing DAG ${handler.dagId} again failed too: ${messageOf(cleanup)}`,
        {
          cause: error,
          details: { orphanHandler: handler },
        },
      );
    }
  }

  async #reschedule(handler: AirflowHandler, content: string, schedule: RefreshSchedule): Promise<void> {
    const spec = this.#specOf(handler, content);
    const unixCron = minuteCron(spec.tableIdentifier, schedule);
    const dag = await this.#requireDag(handler);
    const earlier = await this.#client.importErrorsFor(handler.fileName);
    await this.#write(handler, renderDagFile({ ...spec, unixCron, timeZone: schedule.timeZone }, this.#options));
    if (dag.fileToken !== null) {
      // Without the request Airflow re-reads changed files every min_file_process_interval (30 s by default).
      await this.#client.requestReparse(dag.fileToken).catch((error: unknown) => {
        this.#context.logger.warn('Airflow did not accept a re-parse request; waiting for its next scan.', {
          dagId: handler.dagId,
          error: messageOf(error),
        });
      });
    }
    try {
      const loaded = await this.#awaitLoaded(handler, unixCron, earlier);
      if (loaded === null) {
        this.#context.logger.warn(
          'Airflow has not loaded the new schedule yet; it will on its next scan of the file.',
          {
            dagId: handler.dagId,
            cron: unixCron,
          },
        );
      }
    } catch (error) {
      await this.#write(handler, content);
      throw error;
    }
  }

  /**
   * Polls until Airflow holds the DAG active with `cron`; null when parseTimeoutSeconds pass first. Fails as soon
   * as Airflow records a new import error for the file.
   */
  async #awaitLoaded(
    handler: AirflowHandler,
    cron: string,
    earlier: readonly AirflowImportError[],
  ): Promise<AirflowDag | null> {
    const deadline = Date.now() + this.#options.parseTimeoutSeconds * 1000;
    for (;;) {
      const dag = await this.#client.getDag(handler.dagId);
      if (dag?.active && dag.schedule === cron) return dag;
      const fresh = (await this.#client.importErrorsFor(handler.fileName)).filter(
        (e) => !earlier.some((known) => known.id === e.id && known.timestamp === e.timestamp),
      );
      if (fresh[0] !== undefined) {
        throw new FreshetError(
          'SCHEDULER_ERROR',
          `Airflow could not load the DAG file ${fresh[0].filename}: ${fresh[0].stackTrace.trim()}`,
          {
            details: { operation: `load DAG ${handler.dagId}`, importError: fresh[0] },
          },
        );
      }
      if (Date.now() >= deadline) return null;
      if (this.#lifecycle === 'closed')
        throw schedulerError(`The Airflow scheduler closed while waiting for Airflow to load DAG ${handler.dagId}.`);
      await new Promise((resolve) => setTimeout(resolve, this.#options.pollIntervalMs));
    }
  }

  async #requireDag(handler: AirflowHandler): Promise<AirflowDag> {
    const dag = await this.#client.getDag(handler.dagId);
    if (dag === null || !dag.active) throw this.#missing(handler, 'Airflow has no such DAG');
    return dag;
  }

  #specOf(handler: AirflowHandler, content: string): DagSpec {
    const spec = dagSpecOf(content);
    if (spec === null) {
      throw schedulerError(
        `The DAG file ${handler.fileName} in ${this.#options.dagsFolder} was not written by Freshet or was ` +
          `edited; drop and create the table again.`,
      );
    }
    return spec;
  }

  async #tableOf(dag: AirflowDag): Promise<string | null> {
    const tag = dag.tags.find((t) => t.startsWith(TABLE_TAG_PREFIX));
    if (tag !== undefined) return tag.slice(TABLE_TAG_PREFIX.length);
    const stored = await this.#context.stateStore.get(tableKey(dag.dagId));
    return typeof stored === 'string' ? stored : null;
  }

  async #write(handler: AirflowHandler, content: string): Promise<void> {
    try {
      await writeDagFile(this.#options.dagsFolder, handler.fileName, content);
    } catch (error) {
      throw schedulerError(
        `Cannot write the DAG file ${handler.fileName} into ${this.#options.dagsFolder}: ${messageOf(error)}`,
        error,
      );
    }
  }

  async #remove(handler: AirflowHandler): Promise<void> {
    try {
      await removeDagFile(this.#options.dagsFolder, handler.fileName);
    } catch (error) {
      throw schedulerError(
        `Cannot remove the DAG file ${handler.fileName} from ${this.#options.dagsFolder}: ${messageOf(error)}`,
        error,
      );
    }
  }

  #missing(handler: AirflowHandler, why: string): FreshetError {
    return schedulerError(`The Airflow workflow of DAG ${handler.dagId} does not exist (${why}).`);
  }

  #serially<T>(dagId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(dagId) ?? Promise.resolve();
    const result = previous.then(task);
    const settled = result.catch(() => undefined);
    this.#queues.set(dagId, settled);
    void settled.then(() => {
      if (this.#queues.get(dagId) === settled) this.#queues.delete(dagId);
    });
    return result;
  }

  #assertOpen(): void {
    if (this.#lifecycle !== 'open') {
      throw schedulerError(
        this.#lifecycle === 'new'
          ? 'The Airflow scheduler is not open yet; call open() first.'
          : 'The Airflow scheduler is closed.',
      );
    }
  }
}

/** The schedule as Airflow's 5-field cron; Airflow cannot fire more often than once a minute. */
function minuteCron(tableIdentifier: string, schedule: RefreshSchedule): string {
  if (schedule.unixCron === null) {
    const { interval, unit } = schedule.freshness;
    throw validationError(
      `Airflow schedules have minute granularity, so it cannot refresh ${tableIdentifier} every ${interval} ` +
        `${unit.toLowerCase()}${interval === 1 ? '' : 's'}. ` +
        "Use a FULL freshness of 1 minute or more (FRESHNESS = INTERVAL '1' MINUTE), or REFRESH_MODE = " +
        'CONTINUOUS, which Freshet runs itself.',
    );
  }
  if (!isValidTimeZone(schedule.timeZone))
    throw validationError(`Unknown time zone '${schedule.timeZone}' for the Airflow schedule of ${tableIdentifier}.`);
  return schedule.unixCron;
}
