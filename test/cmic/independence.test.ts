/** cmic/ is an independent judge: it imports only node built-ins, jose and its own modules. */
import fs from "node:fs";
import path from "node:path";

const CMIC = path.resolve(__dirname, "..", "..", "cmic");

describe("cmic/ imports", () => {
  it("nothing of the project: only node:*, jose and ./", () => {
    const files = fs.readdirSync(CMIC).filter((name) => name.endsWith(".ts"));
    expect(files).toContain("index.ts");
    const specifiers = files.flatMap((name) =>
      [...fs.readFileSync(path.join(CMIC, name), "utf8").matchAll(/(?:from|import|require\()\s*["']([^"']+)["']/g)].map(
        (m) => `${name}: ${m[1]}`,
      ),
    );
    expect(specifiers.length).toBeGreaterThan(0);
    const foreign = specifiers.filter((entry) => !/: (node:[a-z_/]+|jose|\.\/[A-Za-z]+)$/.test(entry));
    expect(foreign).toEqual([]);
  });
});
