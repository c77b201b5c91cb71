import {connect} from 'node:net'

import {WireReader, WireWriter} from '../certs/wire.js'

/** Messages of the ssh-agent protocol (draft-miller-ssh-agent) that fleetctl uses. */
const SSH_AGENT_FAILURE = 5
const SSH_AGENTC_REQUEST_IDENTITIES = 11
const SSH_AGENT_IDENTITIES_ANSWER = 12

export interface AgentIdentity {
  /** Public key or certificate blob. */
  blob: Buffer
  comment: string
}

export class AgentUnavailableError extends Error {
  constructor(
    message: string,
    readonly socket: string,
  ) {
    super(message)
    this.name = 'AgentUnavailableError'
  }
}

/** Sends one request to the agent and reads one framed reply. */
async function request(socket: string, message: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const conn = connect(socket)
    let received = Buffer.alloc(0)
    const fail = (error: Error) => {
      conn.destroy()
      reject(error)
    }

    conn.setTimeout(timeoutMs, () => fail(new AgentUnavailableError(`the agent at ${socket} did not answer within ${timeoutMs} ms`, socket)))
    conn.on('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOENT' ? 'no such socket' : error.code === 'ECONNREFUSED' ? 'nothing is listening (the agent is gone)' : error.message
      fail(new AgentUnavailableError(`cannot reach the agent at ${socket}: ${why}`, socket))
    })
    conn.on('connect', () => conn.write(new WireWriter().string(message).toBuffer()))
    conn.on('data', (chunk) => {
      received = Buffer.concat([received, chunk])
      if (received.length >= 4 && received.length >= 4 + received.readUInt32BE(0)) {
        conn.end()
        resolve(received.subarray(4, 4 + received.readUInt32BE(0)))
      }
    })
    conn.on('end', () => fail(new AgentUnavailableError(`the agent at ${socket} closed the connection without an answer`, socket)))
  })
}

/** The identities an agent holds, keys and certificates alike, in the agent's order. */
export async function listAgentIdentities(socket: string, timeoutMs = 5000): Promise<AgentIdentity[]> {
  const reply = await request(socket, Buffer.from([SSH_AGENTC_REQUEST_IDENTITIES]), timeoutMs)
  if (reply[0] === SSH_AGENT_FAILURE) throw new AgentUnavailableError(`the agent at ${socket} refused to list its identities`, socket)
  if (reply[0] !== SSH_AGENT_IDENTITIES_ANSWER) throw new AgentUnavailableError(`the agent at ${socket} sent an unexpected reply (${reply[0]})`, socket)
  const r = new WireReader(reply.subarray(1))
  const count = r.uint32()
  const identities: AgentIdentity[] = []
  for (let i = 0; i < count; i++) identities.push({blob: r.string(), comment: r.string().toString('utf8')})
  return identities
}
