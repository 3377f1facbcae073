/**
 * The npm scripts, the post-deploy check and the CLI tests run the compiled `dist/`, so it must be
 * exactly what the sources compile to. tsconfig.json sets `isolatedModules`, under which tsc's emit
 * of a file depends on that file alone: transpiling each source in memory must give the very bytes
 * `npm run build` wrote. A source edited after the last build, or a `dist/` file whose source is
 * gone (a renamed CLI that would still run), fails here with the fix.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

const ROOT = path.resolve(__dirname, "..", "..");
const DIST = path.join(ROOT, "dist");

function compilerSetup(): { options: ts.CompilerOptions; fileNames: string[] } {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(ROOT, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
      },
    },
  );
  if (!parsed) throw new Error("tsconfig.json could not be read");
  return { options: parsed.options, fileNames: parsed.fileNames };
}

function compiledPath(source: string): string {
  return path.join(DIST, path.relative(ROOT, source).replace(/\.ts$/, ".js"));
}

function listJs(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listJs(full);
    return entry.name.endsWith(".js") ? [full] : [];
  });
}

describe("the compiled dist/", () => {
  const { options, fileNames } = compilerSetup();

  it("is built from every source, with tsc's own settings", () => {
    expect(options.outDir).toBe(DIST);
    expect(options.isolatedModules).toBe(true);
    // Every folder of code is compiled (a folder missing from `include` is only built while imported).
    for (const folder of ["contract", "components", "emulator", "cmic", "scripts", "test"]) {
      expect(fileNames.some((file) => file.startsWith(path.join(ROOT, folder) + path.sep))).toBe(true);
    }
  });

  it("matches the sources byte for byte (run `npm run build` after editing)", () => {
    const stale = fileNames.filter((source) => {
      const expected = ts.transpileModule(fs.readFileSync(source, "utf8"), { compilerOptions: options, fileName: source }).outputText;
      const target = compiledPath(source);
      return !fs.existsSync(target) || fs.readFileSync(target, "utf8") !== expected;
    });
    expect(stale.map((file) => path.relative(ROOT, file))).toEqual([]);
  });

  it("holds no JavaScript whose source is gone", () => {
    const expected = new Set(fileNames.map(compiledPath));
    const orphans = listJs(DIST).filter((file) => !expected.has(file));
    expect(orphans.map((file) => path.relative(ROOT, file))).toEqual([]);
  });
});
