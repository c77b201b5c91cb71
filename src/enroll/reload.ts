import {FleetError} from '../base/errors.js'
import {firstLine, type HostExecutor} from './executor.js'
import type {HostFacts} from './inspect.js'

/**
 * The running sshd that reads this config: its pid file first (the one `sshd -T` names, which is
 * right even for a second sshd with its own config), then systemd's ssh/sshd unit, then init scripts.
 * A SIGHUP makes sshd re-execute itself with the new config; open sessions are separate processes
 * and stay up.
 */
const AUTO_RELOAD = `pidfile=$1
if [ -n "$pidfile" ] && [ "$pidfile" != none ] && [ -s "$pidfile" ]; then
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then kill -HUP "$pid" && echo "SIGHUP to pid $pid from $pidfile" && exit 0; fi
fi
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  for unit in ssh sshd; do
    if systemctl is-active --quiet "$unit"; then systemctl reload "$unit" && echo "systemctl reload $unit" && exit 0; fi
  done
fi
for name in ssh sshd; do
  if [ -x "/etc/init.d/$name" ]; then "/etc/init.d/$name" reload && echo "/etc/init.d/$name reload" && exit 0; fi
done
echo "found no running sshd to reload: no live pid in \${pidfile:-the pid file}, no active systemd unit ssh or sshd, no init script" >&2
exit 1`

/** Where the running sshd keeps its pid: what sshd -T says, else the config, else the usual place. */
export function pidFilePath(facts: Pick<HostFacts, 'effective'>): string {
  return facts.effective.get('pidfile')?.[0] ?? '/run/sshd.pid'
}

/** Reloads sshd and says how; `command` (--reload-command) replaces the detection. */
export async function reloadSshd(executor: HostExecutor, facts: Pick<HostFacts, 'effective'>, command?: string): Promise<string> {
  const result = command ? await executor.run(command) : await executor.run(AUTO_RELOAD, [pidFilePath(facts)])
  if (result.exitCode !== 0) {
    throw new FleetError(`cannot reload sshd on ${executor.name}: ${firstLine(result.stderr) || `${command ?? 'reload'} exited with ${result.exitCode}`}`, {
      code: 'reload_failed',
      exit: 'failure',
      suggestions: ['Pass --reload-command with the command that reloads sshd on this host, e.g. "systemctl reload ssh".'],
    })
  }
  return command ?? (firstLine(result.stdout) || 'reloaded')
}
