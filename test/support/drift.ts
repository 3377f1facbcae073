/**
 * Test support for drift: run the CLI in-process (`runDrift`) or as a child process (`runDriftCli`)
 * with the stand-in `pulumi` first on PATH, and a small strict XML reader to check that the JUnit
 * output is well-formed.
 */
import path from "node:path";
import { Readable } from "node:stream";
import { driftCommand } from "../../scripts/drift/cli";
import { runCommand } from "../../scripts/shared/cli";
import { PROJECT_ROOT, runScript, type CliRun } from "./runScript";

export { PROJECT_ROOT, type CliRun } from "./runScript";
export const FAKE_PULUMI_BIN = path.join(PROJECT_ROOT, "test", "fixtures", "pulumi", "bin");
export const FIXTURE_STACKS = path.join(PROJECT_ROOT, "test", "fixtures", "pulumi", "stacks");

/** `scripts/drift/cli.ts <args>` with the stand-in pulumi first on PATH. */
export function runDriftCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runScript("drift", args, {
    env: {
      FAKE_PULUMI_DIR: FIXTURE_STACKS,
      ...env,
      PATH: `${FAKE_PULUMI_BIN}${path.delimiter}${env.PATH ?? process.env.PATH ?? ""}`,
    },
  });
}

/** The drift command in this process, with the environment `runDriftCli` gives the child. */
export async function runDriftInProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCommand(driftCommand, args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: {
      ...process.env,
      FAKE_PULUMI_DIR: FIXTURE_STACKS,
      ...env,
      PATH: `${FAKE_PULUMI_BIN}${path.delimiter}${env.PATH ?? process.env.PATH ?? ""}`,
    },
    stdin: Readable.from([]),
  });
  return { code, stdout, stderr };
}

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&([^;]*);/g, (whole, name: string) => {
    if (name in ENTITIES) return ENTITIES[name];
    if (/^#\d+$/.test(name)) return String.fromCodePoint(Number(name.slice(1)));
    if (/^#x[0-9a-f]+$/i.test(name)) return String.fromCodePoint(parseInt(name.slice(2), 16));
    throw new Error(`unknown entity ${whole}`);
  });
}

/**
 * Parse a document into elements, throwing on anything not well-formed: unbalanced or misnested
 * tags, unquoted or duplicate attributes, a raw `<` or a bare `&` in text, text outside the root.
 */
export function parseXml(xml: string): XmlElement {
  let at = 0;
  const fail = (why: string): never => {
    throw new Error(`XML not well-formed at ${at}: ${why}`);
  };
  if (xml.startsWith("<?xml")) {
    const end = xml.indexOf("?>");
    if (end < 0) fail("unterminated declaration");
    at = end + 2;
  }
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (at < xml.length) {
    const lt = xml.indexOf("<", at);
    const text = xml.slice(at, lt < 0 ? xml.length : lt);
    if (/&(?![a-z]+;|#\d+;|#x[0-9a-f]+;)/i.test(text)) fail("bare &");
    if (stack.length === 0) {
      if (text.trim() !== "") fail("text outside the root element");
    } else {
      stack[stack.length - 1].text += decode(text);
    }
    if (lt < 0) break;
    at = lt;
    const gt = xml.indexOf(">", at);
    if (gt < 0) fail("unterminated tag");
    const tag = xml.slice(at + 1, gt);
    if (tag.includes("<")) fail("< inside a tag");
    at = gt + 1;
    if (tag.startsWith("/")) {
      const open = stack.pop();
      if (!open || open.name !== tag.slice(1).trim()) fail(`</${tag.slice(1)}> closes ${open?.name ?? "nothing"}`);
      continue;
    }
    const selfClosing = tag.endsWith("/");
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const nameMatch = /^([A-Za-z_][\w.-]*)/.exec(body);
    if (!nameMatch) fail(`bad tag <${tag}>`);
    const element: XmlElement = { name: nameMatch![1], attributes: {}, children: [], text: "" };
    let rest = body.slice(nameMatch![1].length);
    const attribute = /^\s+([A-Za-z_][\w.-]*)="([^"<]*)"/;
    for (let match = attribute.exec(rest); match; match = attribute.exec(rest)) {
      if (match[1] in element.attributes) fail(`duplicate attribute ${match[1]}`);
      if (/&(?![a-z]+;|#\d+;|#x[0-9a-f]+;)/i.test(match[2])) fail("bare & in attribute");
      element.attributes[match[1]] = decode(match[2]);
      rest = rest.slice(match[0].length);
    }
    if (rest.trim() !== "") fail(`unparsed attribute text '${rest}'`);
    if (stack.length > 0) stack[stack.length - 1].children.push(element);
    else if (root) fail("second root element");
    else root = element;
    if (!selfClosing) stack.push(element);
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1].name}> is never closed`);
  if (!root) fail("no root element");
  return root!;
}
