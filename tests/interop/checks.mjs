// What the table oracle scripts share: a tally of checks, each printed as one
// line, that ends the script with its exit code, and a runner of the
// datashard CLI returning its standard output.
import { execFileSync } from 'node:child_process'

export function checks(subject) {
  let failures = 0
  return {
    check(ok, what) {
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`)
      if (!ok) failures++
    },
    finish() {
      console.log(failures === 0 ? `all ${subject} checks passed` : `${failures} ${subject} checks failed`)
      process.exit(failures === 0 ? 0 : 1)
    },
  }
}

export const datashardRunner = cli => (...args) =>
  execFileSync(cli, args, { encoding: 'utf8', maxBuffer: 1 << 28 })
