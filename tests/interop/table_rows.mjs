// Rows as the table oracles compare them: datashard's JSON Lines with 64-bit
// integers kept exact, and lists of sorted row texts compared by naming the
// first difference.

export function parseJsonl(text) {
  // Keep 64-bit integers exact: quote long-looking numbers before parsing.
  return text.split('\n').filter(l => l.trim() !== '')
    .map(l => JSON.parse(l.replace(/([:[,])(-?\d{16,})(?=[,}\]])/g, '$1"$2"')))
}

// null if the row texts `got` and `want` are equal, else what differs.
export function sameRows(got, want) {
  if (got.length !== want.length) return `got ${got.length} rows, want ${want.length}`
  for (let i = 0; i < got.length; i++) {
    if (got[i] !== want[i]) return `first difference: got ${got[i]} want ${want[i]}`
  }
  return null
}

// The (id, name, n) table the row-change and spec-evolution oracles change,
// and its rows as sorted texts, whichever reader produced them.
export const idNameNSchema = JSON.stringify([
  { id: 1, name: 'id', type: 'long', required: true },
  { id: 2, name: 'name', type: 'string', required: false },
  { id: 3, name: 'n', type: 'int', required: false },
])
const idNameNText = r =>
  JSON.stringify([String(r.id), r.name ?? null, r.n === null || r.n === undefined ? null : Number(r.n)])
export const idNameNRows = rows => rows.map(idNameNText).sort()
