// The command line every interop script parses: `node <script>.mjs NAME...`,
// each NAME a required positional argument. With `fromEnv`, a NAME left out
// may come from the environment variable of that name instead
// (DATASHARD_CLI, for running an oracle by hand).
import path from 'node:path';

/**
 * The values of the positional arguments `names`, in order. Throws a usage
 * error naming the script when one is missing or empty.
 */
export function scriptArgs(names, { fromEnv = false } = {}) {
  const given = process.argv.slice(2);
  const values = names.map((name, i) => given[i] ?? (fromEnv ? process.env[name] : undefined));
  if (values.some((v) => !v)) {
    const usage = names.map((name) => (fromEnv ? `${name} (or $${name})` : name)).join(' ');
    throw new Error(`usage: node ${path.basename(process.argv[1])} ${usage}`);
  }
  return values;
}
