// A bare Node TCP relay for the bench: no SSH, no crypto, no recording; every accepted
// connection is copied to and from 127.0.0.1:PORT with backpressure. It prints the port it
// listens on. `ssh` through it (to the same sshd the direct path reaches) shows what one Node
// process in the path costs by itself: the floor under any relay written for Node.
import {connect, createServer} from 'node:net'

const target = Number(process.argv[2])
const server = createServer({noDelay: true}, (client) => {
  const upstream = connect({host: '127.0.0.1', noDelay: true, port: target})
  const close = () => {
    client.destroy()
    upstream.destroy()
  }
  client.pipe(upstream).on('error', close)
  upstream.pipe(client).on('error', close)
})
server.listen(0, '127.0.0.1', () => console.log(server.address().port))
