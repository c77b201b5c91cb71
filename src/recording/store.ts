import {mkdir, stat} from 'node:fs/promises'
import {basename} from 'node:path'

import {FleetError} from '../base/errors.js'
import {AppendFile} from './append-file.js'
import {buildHeader, type EncoderOptions, encodeHeader, type SessionMetadata, type TerminalInfo} from './asciicast.js'
import {recordingError} from './errors.js'
import {filterRecordings, formatIndexLine, type IndexEnd, type IndexStart, readIndex, type RecordingEntry, type RecordingFilter} from './index-file.js'
import {assertSessionId, castPath, indexPath, STREAM_NAMES, type StreamName, streamPath} from './paths.js'
import {FlushScheduler, PtyRecorder, type RecorderHooks, type RecorderOptions, type RecordingSink, StreamRecorder} from './recorder.js'

export interface StreamRecordingOptions extends RecorderOptions {
  /** Also keep the bytes of each stream in `<session>.stdin|stdout|stderr` (config `recording.raw`). */
  raw?: boolean
}

/**
 * The recordings folder of one state directory: `<session>.cast` per terminal session, raw
 * stream files when enabled, and `index.jsonl`. The proxy opens it once at start (so a folder
 * that cannot be written stops the proxy, not the hundredth session) and starts one recorder
 * per session channel.
 */
export class RecordingStore {
  /** One flush timer for every recording of this store, armed only while one holds data. */
  private readonly flushes = new FlushScheduler()

  private constructor(
    readonly dir: string,
    private readonly index: AppendFile,
  ) {}

  /** Creates the folder (0700) and opens the index for appends; fails with what to fix. */
  static async open(dir: string): Promise<RecordingStore> {
    try {
      await mkdir(dir, {mode: 0o700, recursive: true})
    } catch (error) {
      // mkdir -p says EEXIST when the folder's name is taken by a file.
      const cause = (error as NodeJS.ErrnoException).code === 'EEXIST' ? Object.assign(new Error('not a directory'), {code: 'ENOTDIR'}) : error
      throw recordingError('start', dir, cause)
    }

    const path = indexPath(dir)
    try {
      return new RecordingStore(dir, await AppendFile.open(path, {exclusive: false}))
    } catch (error) {
      throw recordingError('start', path, error)
    }
  }

  /**
   * Starts the asciicast recording of a terminal session: the file is created and its header
   * written and fsynced before this resolves, so a failure here means "refuse the session".
   */
  async startPty(session: SessionMetadata, terminal: TerminalInfo, hooks: RecorderHooks, options: EncoderOptions & RecorderOptions = {}): Promise<PtyRecorder> {
    const path = castPath(this.dir, session.session)
    const startedAt = new Date()
    let file: AppendFile | undefined
    try {
      file = await AppendFile.open(path)
      await file.append([Buffer.from(encodeHeader(buildHeader(session, terminal, startedAt)))])
      await file.sync()
      await this.appendIndex(startLine(session, 'pty', startedAt, basename(path)))
    } catch (error) {
      await file?.close().catch(() => {})
      throw recordingError('start', path, error)
    }

    return new PtyRecorder(session.session, file, hooks, (end) => this.endIndex(end), {...options, flushes: this.flushes})
  }

  /** Starts hashing (and with `raw`, storing) the streams of a session without a terminal. */
  async startStreams(session: SessionMetadata, hooks: RecorderHooks, options: StreamRecordingOptions = {}): Promise<StreamRecorder> {
    assertSessionId(session.session)
    const startedAt = new Date()
    const sinks: Partial<Record<StreamName, RecordingSink>> = {}
    let path = indexPath(this.dir)
    try {
      if (options.raw) {
        for (const name of STREAM_NAMES) {
          path = streamPath(this.dir, session.session, name)
          sinks[name] = await AppendFile.open(path)
        }
      }

      const streams = options.raw ? Object.fromEntries(STREAM_NAMES.map((name) => [name, basename(streamPath(this.dir, session.session, name))])) : undefined
      path = indexPath(this.dir)
      await this.appendIndex({...startLine(session, 'streams', startedAt, null), ...(streams ? {streams} : {})})
    } catch (error) {
      await Promise.all(Object.values(sinks).map((sink) => sink.close().catch(() => {})))
      throw recordingError('start', path, error)
    }

    return new StreamRecorder(session.session, sinks, hooks, (end) => this.endIndex(end), {...options, flushes: this.flushes})
  }

  async close(): Promise<void> {
    await this.index.close()
  }

  private async appendIndex(line: IndexStart): Promise<void> {
    await this.index.append([Buffer.from(formatIndexLine(line))])
  }

  private async endIndex(end: IndexEnd): Promise<void> {
    await this.index.append([Buffer.from(formatIndexLine(end))])
  }
}

function startLine(session: SessionMetadata, kind: IndexStart['kind'], startedAt: Date, file: null | string): IndexStart {
  return {
    session: session.session,
    kind,
    start: startedAt.toISOString(),
    user: session.user,
    keyId: session.keyId ?? null,
    login: session.login,
    host: session.host,
    client: session.client,
    command: session.command ?? null,
    file,
  }
}

/** The sessions in the index of `dir`, oldest first. A folder without recordings has none. */
export async function listRecordings(dir: string, filter: RecordingFilter = {}): Promise<RecordingEntry[]> {
  return filterRecordings(await readIndex(indexPath(dir)), filter)
}

/** The .cast file of a session, checked to exist; the error names the next command to run. */
export async function findRecording(dir: string, session: string): Promise<{entry?: RecordingEntry; path: string; size: number}> {
  const path = castPath(dir, assertSessionId(session))
  const entry = (await readIndex(indexPath(dir))).find((e) => e.session === session)
  try {
    return {entry, path, size: (await stat(path)).size}
  } catch {
    const why = entry?.kind === 'streams' ? `session ${session} had no terminal (${entry.command ?? 'a subsystem'}), so it has no terminal recording; its digests are in \`fleetctl recordings ls --json\`` : `no recording of session ${session} in ${dir}`
    throw new FleetError(why, {code: 'recording_not_found', exit: 'missingState', suggestions: ['List the recorded sessions with `fleetctl recordings ls`.']})
  }
}
