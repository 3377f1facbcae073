/**
 * The project directory (the one holding this project's package.json), found by walking up from
 * this file, so it is the same whether the code runs from its TypeScript source or from `dist/`.
 */
import fs from "node:fs";
import path from "node:path";

const PACKAGE_NAME = "cmic-entra-oauth";

export function findProjectRoot(start: string = __dirname): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest)) {
      const { name } = JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: unknown };
      if (name === PACKAGE_NAME) return dir;
    }
    if (path.dirname(dir) === dir) {
      throw new Error(`${start} is not inside the ${PACKAGE_NAME} project (no package.json named ${PACKAGE_NAME} above it).`);
    }
  }
}

/** The repository root. */
export const PROJECT_ROOT = findProjectRoot();
