/**
 * Loads the project's Pulumi program (index.ts, compiled to dist/index.js) the way the Pulumi
 * language host does: once per run, declaring its resources as it loads. Several runs in one
 * process (drift over a world's stacks) each need a fresh copy, so the program's own modules are
 * dropped from the require cache first; libraries (@pulumi/pulumi's runtime above all) stay.
 */
import path from "node:path";

export function loadProjectProgram(): Record<string, unknown> {
  const indexFile = require.resolve("../..");
  const componentsDir = `${path.join(path.dirname(indexFile), "components")}${path.sep}`;
  for (const key of Object.keys(require.cache)) {
    if (key === indexFile || key.startsWith(componentsDir)) delete require.cache[key];
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(indexFile) as Record<string, unknown>;
}
