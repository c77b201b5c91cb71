/** The entries of a comma-separated flag or setting ("a, b,,c" is a, b, c); nothing for none. */
export function commaList(value: null | string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
}
