/**
 * Run a command so that node trusts the local emulator's HTTPS certificate.
 *
 *   ts-node scripts/withEmulatorCa.ts -- <command> [args…]
 *
 * Node reads NODE_EXTRA_CA_CERTS only when it starts, so it cannot be set from inside the process
 * that needs it: this wrapper makes sure the emulator CA exists, then starts the command with the
 * variable set. `npm test`, `npm run sandbox` and `npm run bench` go through it.
 */
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { emulatorHome, writeFileAtomic } from "../../emulator/home";
import { PROJECT_ROOT } from "./projectRoot";
import { ensureTlsMaterial } from "../../emulator/tls";

const USAGE = "Usage: ts-node scripts/withEmulatorCa.ts -- <command> [args…]";

/** The command after the (optional) `--`. */
export function parseCommand(argv: readonly string[]): string[] {
  const args = argv[0] === "--" ? argv.slice(1) : [...argv];
  return args;
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
export function extraCaCertsValue(caCertFile: string, existing: string | undefined, home: string): string {
  if (!existing || path.resolve(existing) === path.resolve(caCertFile)) return caCertFile;
  const ours = fs.readFileSync(caCertFile, "utf8");
  let theirs: string;
  try {
    theirs = fs.readFileSync(existing, "utf8");
  } catch (error) {
    process.stderr.write(
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

async function main(): Promise<void> {
  const command = parseCommand(process.argv.slice(2));
  if (command.length === 0) {
    process.stderr.write(`${USAGE}\nNo command given: put the command to run after "--".\n`);
    process.exit(2);
  }
  const material = await ensureTlsMaterial();
  const env = {
    ...process.env,
    NODE_EXTRA_CA_CERTS: extraCaCertsValue(material.caCertFile, process.env.NODE_EXTRA_CA_CERTS, emulatorHome()),
  };

  const [program, ...args] = command;
  const child = spawn(resolveCommand(program), args, { stdio: "inherit", shell: false, env });

  // Ctrl-C reaches the whole foreground group anyway; forwarding covers `kill <wrapper pid>`.
  const forwarded: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of forwarded) process.on(signal, forward);

  child.on("error", (error: NodeJS.ErrnoException) => {
    const hint =
      error.code === "ENOENT"
        ? `"${program}" was not found in node_modules/.bin or on PATH. Check the command name, or run npm install.`
        : "Check the command and its permissions.";
    process.stderr.write(`withEmulatorCa: cannot start "${program}": ${error.message}. ${hint}\n`);
    process.exit(127);
  });
  child.on("exit", (code, signal) => {
    for (const s of forwarded) process.off(s, forward);
    if (signal) {
      // Exit the way the child did, so callers (npm, CI) see the same signal.
      const number = os.constants.signals[signal] ?? 1;
      process.exitCode = 128 + number;
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`withEmulatorCa: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
