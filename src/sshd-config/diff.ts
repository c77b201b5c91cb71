import {splitLines} from './syntax.js'

type EditKind = ' ' | '-' | '+'

interface Edit {
  kind: EditKind
  /** The line with its ending, so a changed ending is a changed line. */
  line: string
  /** 0-based positions in the old and new file just before this line. */
  oldIndex: number
  newIndex: number
}

/**
 * `diff -u` output for two texts: `---`/`+++` headers, `@@ -a,b +c,d @@` hunks with `context`
 * lines around each change, and "\ No newline at end of file" where a side lacks one.
 * Returns '' when the texts are equal.
 */
export function renderUnifiedDiff(oldText: string, newText: string, names: {oldName: string; newName: string}, context = 3): string {
  if (oldText === newText) return ''
  const toLines = (text: string) => splitLines(text).map((line) => line.text + line.eol)
  const edits = shortestEditScript(toLines(oldText), toLines(newText))
  let output = `--- ${names.oldName}\n+++ ${names.newName}\n`
  for (const hunk of groupHunks(edits, context)) output += renderHunk(hunk)
  return output
}

/** Myers' O(ND) greedy algorithm, keeping each round's frontier to walk the path back. */
function shortestEditScript(a: readonly string[], b: readonly string[]): Edit[] {
  const offset = a.length + b.length + 1
  let frontier = new Int32Array(2 * offset + 1)
  const history: Int32Array[] = []
  search: for (let d = 0; d <= a.length + b.length; d++) {
    history.push(frontier)
    frontier = frontier.slice()
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && frontier[offset + k - 1] < frontier[offset + k + 1])
      let x = down ? frontier[offset + k + 1] : frontier[offset + k - 1] + 1
      let y = x - k
      while (x < a.length && y < b.length && a[x] === b[y]) {
        x++
        y++
      }
      frontier[offset + k] = x
      if (x >= a.length && y >= b.length) break search
    }
  }

  const edits: Edit[] = []
  let x = a.length
  let y = b.length
  for (let d = history.length - 1; d >= 0; d--) {
    const previous = history[d]
    const k = x - y
    const down = k === -d || (k !== d && previous[offset + k - 1] < previous[offset + k + 1])
    const startX = d === 0 ? 0 : down ? previous[offset + k + 1] : previous[offset + k - 1]
    const startY = d === 0 ? 0 : startX - (down ? k + 1 : k - 1)
    while (x > startX && y > startY) {
      x--
      y--
      edits.push({kind: ' ', line: a[x], oldIndex: x, newIndex: y})
    }
    if (d === 0) break
    if (down) edits.push({kind: '+', line: b[startY], oldIndex: startX, newIndex: startY})
    else edits.push({kind: '-', line: a[startX], oldIndex: startX, newIndex: startY})
    x = startX
    y = startY
  }
  return edits.reverse()
}

/** Changes closer than two contexts apart share a hunk, as in GNU diff. */
function groupHunks(edits: readonly Edit[], context: number): Edit[][] {
  const changes = edits.flatMap((edit, index) => (edit.kind === ' ' ? [] : [index]))
  const hunks: Edit[][] = []
  let start = 0
  while (start < changes.length) {
    let end = start
    while (end + 1 < changes.length && changes[end + 1] - changes[end] - 1 <= 2 * context) end++
    hunks.push(edits.slice(Math.max(0, changes[start] - context), Math.min(edits.length, changes[end] + context + 1)))
    start = end + 1
  }
  return hunks
}

function renderHunk(hunk: readonly Edit[]): string {
  const oldCount = hunk.filter((edit) => edit.kind !== '+').length
  const newCount = hunk.filter((edit) => edit.kind !== '-').length
  // An empty range names the line before it, so an insertion at the top is "-0,0".
  const range = (index: number, count: number) => `${count === 0 ? index : index + 1}${count === 1 ? '' : `,${count}`}`
  let output = `@@ -${range(hunk[0].oldIndex, oldCount)} +${range(hunk[0].newIndex, newCount)} @@\n`
  for (const edit of hunk) {
    output += edit.kind + edit.line
    if (!edit.line.endsWith('\n')) output += '\n\\ No newline at end of file\n'
  }
  return output
}
