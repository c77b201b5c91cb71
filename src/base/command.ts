import {Command, Flags, Interfaces} from '@oclif/core'

import {resolveHome} from '../state/home.js'
import {FleetError} from './errors.js'

export type FleetFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof FleetCommand)['baseFlags'] & T['flags']>
export type FleetArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * The base of every fleetctl command: the state directory (`--home`), `--json` output of the
 * typed value `run()` returns, and errors mapped to stable exit codes.
 */
export abstract class FleetCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    home: Flags.string({
      env: 'FLEETCTL_HOME',
      helpGroup: 'GLOBAL',
      summary: 'State directory holding the CAs, config, recordings and audit log.',
      description: 'Defaults to ~/.fleetctl.',
    }),
  }

  protected flags!: FleetFlags<T>
  protected args!: FleetArgs<T>
  /** Every positional argument, for commands with \`strict = false\` that take a list. */
  protected positionals: string[] = []

  /** The resolved state directory (absolute). */
  protected get home(): string {
    return resolveHome(this.flags.home)
  }

  public override async init(): Promise<void> {
    await super.init()
    const {args, argv, flags} = await this.parse({
      args: this.ctor.args,
      baseFlags: (super.ctor as typeof FleetCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      flags: this.ctor.flags,
      strict: this.ctor.strict,
    })
    this.flags = flags as FleetFlags<T>
    this.args = args as FleetArgs<T>
    this.positionals = argv.map(String)
  }

  protected override async catch(err: Error & {exitCode?: number}): Promise<unknown> {
    if (err instanceof FleetError) return super.catch(err.toCLIError())
    return super.catch(err)
  }

  /** Print a line for humans; silent under --json, where run()'s return value is the output. */
  protected say(message = ''): void {
    if (!this.jsonEnabled()) this.log(message)
  }
}
