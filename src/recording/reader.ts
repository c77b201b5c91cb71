import {createReadStream} from 'node:fs'
import {createInterface} from 'node:readline'

import {FleetError} from '../base/errors.js'
import {type AsciicastEvent, type AsciicastHeader, CastFormatError, parseEvent, parseHeader} from './asciicast.js'

export interface CastReader {
  events: AsyncGenerator<AsciicastEvent>
  header: AsciicastHeader
}

/**
 * Opens a recording for reading event by event (recordings can be large). A cut-short last
 * line, which is what a killed writer leaves, ends the events quietly; a bad line elsewhere is
 * an error naming the line.
 */
export async function openCast(path: string): Promise<CastReader> {
  const lines = createInterface({crlfDelay: Infinity, input: createReadStream(path, {encoding: 'utf8'})})[Symbol.asyncIterator]()
  const first = await lines.next()
  if (first.done) throw castError(path, new CastFormatError('the recording is empty'))
  let header: AsciicastHeader
  try {
    header = parseHeader(first.value)
  } catch (error) {
    await lines.return?.()
    throw castError(path, error)
  }

  async function* events(): AsyncGenerator<AsciicastEvent> {
    let number = 1
    let bad: {error: unknown; number: number} | undefined
    try {
      for (let next = await lines.next(); !next.done; next = await lines.next()) {
        number++
        if (bad) throw castError(path, bad.error, bad.number)
        if (next.value === '') continue
        try {
          yield parseEvent(next.value)
        } catch (error) {
          bad = {error, number}
        }
      }
    } finally {
      await lines.return?.()
    }
  }

  return {events: events(), header}
}

function castError(path: string, error: unknown, line?: number): FleetError {
  return new FleetError(`${path}${line ? ` line ${line}` : ''}: ${(error as Error).message}`, {code: 'recording_invalid', exit: 'failure'})
}
