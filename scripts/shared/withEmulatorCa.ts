/**
 * Run a command so that node trusts the local emulator's HTTPS certificate.
 *
 *   ts-node scripts/shared/withEmulatorCa.ts -- <command> [args…]
 *
 * Node reads NODE_EXTRA_CA_CERTS only when it starts, so it cannot be set from inside the process
 * that needs it: this wrapper makes sure the emulator CA exists, then starts the command with the
 * variable set. `npm test`, `npm run sandbox` and `npm run bench` go through it.
 */
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { CmicError, UsageError } from "../../contract/errors";
import { emulatorHome, writeFileAtomic } from "../../emulator/home";
import { defineCommand, parseCommandLine, runWhenMain, type ExitStatus } from "./cli";
import { PROJECT_ROOT } from "./projectRoot";

const USAGE = `Usage: ts-node scripts/shared/withEmulatorCa.ts -- <command> [args…]

Makes sure the local emulator's CA exists (under .emulator/), then runs <command> with
NODE_EXTRA_CA_CERTS pointing at it (combined with an existing NODE_EXTRA_CA_CERTS bundle).
Node reads that variable only at start-up, hence a wrapper. Exits with the command's exit code.
`;

/** The command after the (optional) `--`, as the CLI reads it; throws UsageError for an unknown option before it. */
export function parseCommand(argv: readonly string[]): string[] {
  return parseCommandLine(withEmulatorCaCommand, argv).positionals;
}

/**
 * A bare command name that the project installs (jest, ts-node, tsc…) resolves to
 * node_modules/.bin, as npm scripts do; anything else is left to PATH.
 */
export function resolveCommand(command: string, projectRoot: string = PROJECT_ROOT): string {
  if (command.includes("/") || command.includes(path.sep)) return command;
  const local = path.join(projectRoot, "node_modules", ".bin", command);
  return fs.existsSync(local) ? local : command;
}

/**
 * The NODE_EXTRA_CA_CERTS value for the child. The variable takes a single file, so when the
 * caller already trusts another bundle (a corporate proxy CA, say) both go into one combined file.
 */
export function extraCaCertsValue(
  caCertFile: string,
  existing: string | undefined,
  home: string,
  warn: (text: string) => void = (text) => void process.stderr.write(text),
): string {
  if (!existing || path.resolve(existing) === path.resolve(caCertFile)) return caCertFile;
  const ours = fs.readFileSync(caCertFile, "utf8");
  let theirs: string;
  try {
    theirs = fs.readFileSync(existing, "utf8");
  } catch (error) {
    warn(
      `withEmulatorCa: NODE_EXTRA_CA_CERTS=${existing} cannot be read (${(error as Error).message}); ` +
        `using only the emulator CA. Fix or unset NODE_EXTRA_CA_CERTS to keep your own CA.\n`,
    );
    return caCertFile;
  }
  if (theirs.includes(ours.trim())) return existing;
  const combined = `${theirs.trimEnd()}\n${ours}`;
  // Named by content so concurrent runs with different bundles never overwrite each other's.
  const digest = crypto.createHash("sha256").update(combined).digest("hex").slice(0, 16);
  const bundle = path.join(home, `ca-bundle-${digest}.pem`);
  if (!fs.existsSync(bundle)) writeFileAtomic(bundle, combined);
  return bundle;
}

export const withEmulatorCaCommand = defineCommand({
  name: "withEmulatorCa",
  summary: "Run a command with NODE_EXTRA_CA_CERTS set to the emulator's CA.",
  help: USAGE,
  invocation: "ts-node scripts/shared/withEmulatorCa.ts",
  options: {},
  // Everything from the command on is the command's own: its options are not ours to check.
  positionals: "rest",
  async run(_options, io, context) {
    const command = context.positionals;
    if (command.length === 0) {
      throw new UsageError("No command given.", `put the command to run after "--". ${USAGE.split("\n")[0]}`);
    }
    const { ensureTlsMaterial } = await import("../../emulator/tls");
    const material = await ensureTlsMaterial();
    const env = {
      ...io.env,
      NODE_EXTRA_CA_CERTS: extraCaCertsValue(material.caCertFile, io.env.NODE_EXTRA_CA_CERTS, emulatorHome(), io.stderr),
    };
    return runChild(command, env);
  },
});

/** Start the command with the inherited terminal and wait for it; a signal it dies of is passed on. */
export function runChild(command: readonly string[], env: NodeJS.ProcessEnv): Promise<ExitStatus> {
  const [program, ...args] = command;
  const child = spawn(resolveCommand(program), args, { stdio: "inherit", shell: false, env });

  // Ctrl-C reaches the whole foreground group anyway; forwarding covers `kill <wrapper pid>`.
  const forwarded: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of forwarded) process.on(signal, forward);
  const stopForwarding = () => {
    for (const signal of forwarded) process.off(signal, forward);
  };

  return new Promise((resolve, reject) => {
    child.on("error", (error: NodeJS.ErrnoException) => {
      stopForwarding();
      const fix =
        error.code === "ENOENT"
          ? `"${program}" was not found in node_modules/.bin or on PATH: check the command name, or run npm install.`
          : "check the command and its permissions.";
      // 127: the shell's code for a command that cannot be run.
      reject(new CmicError("ERR_COMMAND_START", `cannot start "${program}": ${error.message}.`, { fix, exitCode: 127, cause: error }));
    });
    child.on("exit", (code, signal) => {
      stopForwarding();
      // Exit the way the child did, so callers (npm, CI) see the same code or signal.
      resolve(signal ? { signal } : (code ?? 1));
    });
  });
}

runWhenMain(module, withEmulatorCaCommand);
