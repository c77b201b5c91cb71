import {homedir} from 'node:os'
import {join, resolve} from 'node:path'

/** The state directory: the flag, else $FLEETCTL_HOME (oclif maps it onto the flag), else ~/.fleetctl. */
export function resolveHome(flag?: string): string {
  return resolve(flag ?? join(homedir(), '.fleetctl'))
}

/** Where each piece of state lives inside the state directory. */
export function statePaths(home: string) {
  return {
    home,
    config: join(home, 'config.yaml'),
    caDir: join(home, 'ca'),
    userCA: join(home, 'ca', 'user_ca'),
    hostCA: join(home, 'ca', 'host_ca'),
    recordings: join(home, 'recordings'),
    auditLog: join(home, 'audit.log'),
    inventory: join(home, 'inventory.json'),
    keys: join(home, 'keys'),
  }
}

export type StatePaths = ReturnType<typeof statePaths>
