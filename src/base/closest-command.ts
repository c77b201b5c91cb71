import {distance as levenshtein} from 'fastest-levenshtein'

/**
 * The command a mistyped id most likely meant (ids as oclif keeps them, "enroll:host"). A typed
 * id is compared with every command cut to as many words as were typed, so `enrol --yes host`
 * ("enrol") finds the topic "enroll" rather than a short command such as "audit"; a topic with one
 * command is completed to that command.
 */
export function closestCommand(typed: string, ids: string[]): string | undefined {
  const words = typed.split(':').length
  const scored = ids.map((id) => {
    const head = id.split(':').slice(0, words).join(':')
    return {distance: levenshtein(typed, head), head, id, whole: levenshtein(typed, id)}
  })
  const best = scored.sort((a, b) => a.distance - b.distance || a.whole - b.whole)[0]
  if (best === undefined) return undefined
  const under = ids.filter((id) => id === best.head || id.startsWith(`${best.head}:`))
  return under.length === 1 ? under[0] : best.head
}
