import {Command, Errors, Flags, Interfaces} from '@oclif/core'

import {resolveHome} from '../state/home.js'
import {errorReport, FleetError} from './errors.js'

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

  /**
   * Every failure leaves with its exit class (README, "Exit codes"), with or without --json. oclif's
   * own catch sets the exit code from `err.exitCode`, which its CLIErrors do not have, and under
   * --json prints the error with its parse context (the whole config) and then exits 1.
   */
  protected override async catch(err: Error): Promise<unknown> {
    if (!this.jsonEnabled()) return super.catch(err instanceof FleetError ? err.toCLIError() : err)
    const report = errorReport(err)
    this.logJson(report)
    // Printed already: oclif's handler only exits, with this code, as it does for a human.
    throw new Errors.ExitError(report.error.exit)
  }

  /** Print a line for humans; silent under --json, where run()'s return value is the output. */
  protected say(message = ''): void {
    if (!this.jsonEnabled()) this.log(message)
  }
}
