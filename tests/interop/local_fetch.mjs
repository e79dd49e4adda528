// icebird reads tables through fetch(). serveLocalFiles() answers it from the
// local filesystem (HEAD for sizes, Range reads), for plain paths and file:
// URIs, so the oracles read tables in place.
import fs from 'node:fs'

// The local path of a table file named by a plain path, file:/path or
// file:///path.
export function localPath(location) {
  let s = String(location)
  if (s.startsWith('file://')) s = s.slice('file://'.length)
  else if (s.startsWith('file:')) s = s.slice('file:'.length)
  return decodeURIComponent(s)
}

export function serveLocalFiles() {
  globalThis.fetch = async (url, init = {}) => {
    const file = localPath(url)
    if (!fs.existsSync(file)) return new Response('missing', { status: 404, statusText: 'Not Found' })
    const size = fs.statSync(file).size
    if ((init.method ?? 'GET') === 'HEAD') {
      return new Response(null, { status: 200, headers: { 'content-length': String(size) } })
    }
    const bytes = fs.readFileSync(file)
    const range = new Headers(init.headers ?? {}).get('range')
    if (range) {
      const [, a, b] = /bytes=(\d+)-(\d*)/.exec(range)
      const end = b === '' ? size - 1 : Math.min(Number(b), size - 1)
      const slice = bytes.subarray(Number(a), end + 1)
      return new Response(slice, { status: 206, headers: { 'content-length': String(slice.length) } })
    }
    return new Response(bytes, { status: 200, headers: { 'content-length': String(size) } })
  }
}
