/**
 * Pulumi.<stack>.yaml as text, and its one atomic write. The text is js-yaml's (quoting decides
 * itself what must be quoted: `180` becomes '180', a PEM a block string), with a header naming the
 * command that wrote it and a comment above each setting, as Pulumi.dev.yaml has them.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import yaml from "js-yaml";
import { CmicError, EXIT_USAGE } from "../../contract/errors";
import { CONFIG_NAMESPACE } from "../../contract/kinds";
import type { StackConfig } from "./stackConfig";

/** One line above each key, for whoever opens the file next (the README's settings table has the whole story). */
const KEY_COMMENTS: Record<string, string> = {
  "azuread:tenantId": "The customer's Entra tenant: Microsoft Entra ID → Overview → Tenant ID.",
  [`${CONFIG_NAMESPACE}:deployment`]: "CMiC on premises (enterprise) or CMiC Cloud (cloud).",
  [`${CONFIG_NAMESPACE}:serviceUser`]: "The CMiC service user, exactly as CMiC spells it; the token's cmicuser claim carries it.",
  [`${CONFIG_NAMESPACE}:cmicTenant`]: 'CMiC Cloud tenant: the claim becomes "<tenant>||<serviceUser>".',
  [`${CONFIG_NAMESPACE}:verifiedDomain`]: "Domain of the Application ID URI (a verified domain of the tenant).",
  [`${CONFIG_NAMESPACE}:claimSource`]:
    "token: a claims-mapping policy puts cmicuser in the token; registration: CMiC after Patch 22 reads it.",
  [`${CONFIG_NAMESPACE}:credential`]: "How the connector signs in: secret, certificate or both.",
  [`${CONFIG_NAMESPACE}:certificate`]: "The connector's PEM public certificate (never its private key).",
  [`${CONFIG_NAMESPACE}:secretLifetimeDays`]: "Days from a secret's issue to its rotation date (1-730).",
  [`${CONFIG_NAMESPACE}:handoverDays`]: "Days the previous secret keeps working after a new one is issued.",
  [`${CONFIG_NAMESPACE}:displayName`]: "Display name of the Entra application.",
  [`${CONFIG_NAMESPACE}:owners`]: "Object ids of the admins who own the app registration.",
};

export interface StackFileHeader {
  stack: string;
  /** The command line that writes the same file again (shell-quoted). */
  command: string;
  /** Lines saying what was (or was not) checked in the tenant, e.g. the domain check's result. */
  notes: readonly string[];
  generatedAt: Date;
}

/** The stack file's text: header, then `config:` with a comment above each key. */
export function renderStackFile(config: StackConfig, header: StackFileHeader): string {
  // lineWidth -1: a long display name or PEM line is never folded into a form readers trip over.
  const body = yaml.dump({ config }, { lineWidth: -1 });
  const commented = body
    .split("\n")
    .flatMap((line) => {
      const key = /^ {2}([^\s:]+:[^\s:]+):/.exec(line)?.[1];
      const comment = key === undefined ? undefined : KEY_COMMENTS[key];
      return comment === undefined ? [line] : [`  # ${comment}`, line];
    })
    .join("\n");
  const comment = (text: string) =>
    text
      .split(/\r?\n/)
      .map((line) => `# ${line}`.trimEnd())
      .join("\n");
  return [
    comment(`Written by new-customer on ${header.generatedAt.toISOString()}, validated with the program's own settings rules:`),
    comment(`  ${header.command}`),
    ...header.notes.map((note) => comment(note)),
    comment(`Next: pulumi stack init ${header.stack}, then pulumi up --stack ${header.stack}. Nothing secret is in this file.`),
    commented,
  ].join("\n");
}

/** The file is there and --force was not given: the user decides, so it is exit 2 like any refused usage. */
export class StackFileExistsError extends CmicError {
  constructor(readonly file: string) {
    super("ERR_STACK_FILE_EXISTS", `${file} already exists; it was left as it is.`, {
      fix: "add --force to replace it (its settings are lost: keep a copy), or pick another --stack name or --cwd.",
      exitCode: EXIT_USAGE,
    });
  }
}

/**
 * Write `text` to `file` atomically: a temporary file in the same directory, then one step that
 * makes it the file, so a reader (or a `pulumi up` started meanwhile) sees the old file or the new
 * one, never half of one. Without `force` that step is a hard link, which fails if the file exists
 * (EEXIST), so a file created between the check and the write is never replaced either.
 */
export function writeStackFileAtomically(file: string, text: string, options: { force: boolean }): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`);
  try {
    fs.writeFileSync(temporary, text, { flag: "wx" });
    if (options.force) {
      fs.renameSync(temporary, file);
      return;
    }
    try {
      fs.linkSync(temporary, file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST") throw new StackFileExistsError(file);
      // Some file systems have no hard links: the existence check then comes just before the rename.
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw error;
      if (fs.existsSync(file)) throw new StackFileExistsError(file);
      fs.renameSync(temporary, file);
    }
  } catch (error) {
    if (error instanceof CmicError) throw error;
    throw new CmicError("ERR_STACK_FILE_WRITE", `cannot write ${file}: ${(error as Error).message}.`, {
      fix: "check that the directory exists and that you may write to it (--cwd DIR names another one).",
      cause: error,
    });
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}
