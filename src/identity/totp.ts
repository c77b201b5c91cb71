/**
 * The TOTP second factor (RFC 6238, 30 s steps, 6 digits, SHA-1: what authenticator apps do) on
 * otplib. A code is accepted once: the step it belongs to is recorded and codes of that step or
 * earlier are refused afterwards.
 */
import {generate, generateSecret, generateURI, verify} from 'otplib'

export const TOTP_PERIOD_SECONDS = 30

export function newTotpSecret(): string {
  return generateSecret({length: 20})
}

/** The otpauth:// URI authenticator apps scan (as a QR code) or take pasted. */
export function totpUri(options: {issuer: string; secret: string; user: string}): string {
  return generateURI({issuer: options.issuer, label: options.user, period: TOTP_PERIOD_SECONDS, secret: options.secret})
}

/** The code for `epoch` (seconds; default now): for tests and tools that stand in for an app. */
export function totpCode(secret: string, epoch?: number): Promise<string> {
  return generate({epoch, period: TOTP_PERIOD_SECONDS, secret})
}

export type TotpCheck = {ok: true; step: number} | {ok: false; reason: 'totp_invalid' | 'totp_replayed'}

/**
 * Checks `code` against `secret`, allowing one step of clock drift either way. A code from a step
 * at or before `lastStep` is a replay.
 */
export async function checkTotp(secret: string, code: string, lastStep: number | undefined, epoch?: number): Promise<TotpCheck> {
  if (!/^\d{6}$/.test(code)) return {ok: false, reason: 'totp_invalid'}
  const now = epoch ?? Math.floor(Date.now() / 1000)
  const result = await verify({epoch: now, epochTolerance: TOTP_PERIOD_SECONDS, period: TOTP_PERIOD_SECONDS, secret, token: code})
  if (!result.valid) return {ok: false, reason: 'totp_invalid'}
  const step = Math.floor(now / TOTP_PERIOD_SECONDS) + result.delta
  if (lastStep !== undefined && step <= lastStep) return {ok: false, reason: 'totp_replayed'}
  return {ok: true, step}
}
