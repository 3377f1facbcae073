/**
 * The CLI kernel (scripts/shared/cli.ts): help, version, strict parsing with one usage-error
 * format, error → exit code mapping, redaction, and that no CLI runs on import or loads its heavy
 * engine for `--help` or a usage error. Commands run in-process; child processes only where the
 * test is about the process (what importing a module does, what it loads, the real exit code).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { CmicError, UsageError } from "../../contract/errors";
import { defineCommand, numberOption, parseCommandLine, runCaptured, type Command, type OptionSpecs } from "../../scripts/shared/cli";
import { verifyCommand } from "../../scripts/verify/cli";
import { driftCommand, parseDriftArgs } from "../../scripts/drift/cli";
import { handoffCommand } from "../../scripts/handoff/cli";
import { rotateCommand } from "../../scripts/rotate/cli";
import { sandboxCommand } from "../../scripts/sandbox/cli";
import { benchCommand } from "../../scripts/bench/cli";
import { emulatorCommand } from "../../scripts/emulator/cli";
import { withEmulatorCaCommand } from "../../scripts/shared/withEmulatorCa";
import { PROJECT_ROOT, runScript } from "../support/runScript";

const VERSION = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { version: string }).version;
const SECRET = "Q~kernel-test-secret-0123456789abcdef";

/** A command that records its calls and does what the test tells it to. */
function demo(behaviour: (options: Record<string, unknown>, addSecret: (secret: string) => void) => Promise<number> = async () => 0) {
  const calls: Array<Record<string, unknown>> = [];
  const command = defineCommand({
    name: "demo",
    summary: "A command for the kernel's tests.",
    help: "Usage: npm run demo -- [--name NAME] [--count N] [--loud]\n",
    options: { name: { type: "string" }, count: { type: "string" }, loud: { type: "boolean", short: "l" } },
    redaction: {
      knownSecrets: (_argv, env) => [env.DEMO_SECRET],
      redact: (text, secrets) => secrets.reduce((result, secret) => result.split(secret).join("[redacted]"), text),
    },
    async run(options, io, context) {
      calls.push({ ...options });
      if (options.count !== undefined) numberOption("count", options.count, { integer: true, min: 1 });
      return behaviour({ ...options, io }, context.addSecret);
    },
  });
  return { command, calls };
}

function usageText(name: string, invocation: string, problem: string): string {
  return `${name}: ${problem}\nRun \`${invocation} --help\` for the options.\n`;
}

describe("help and version", () => {
  it("-h and --help print the help and the common options, exit 0, and run nothing", async () => {
    for (const flag of ["-h", "--help"]) {
      const { command, calls } = demo();
      const run = await runCaptured(command, ["--loud", flag]);
      expect(run).toMatchObject({ code: 0, stderr: "" });
      expect(run.stdout).toContain("Usage: npm run demo --");
      expect(run.stdout).toContain("-h, --help");
      expect(run.stdout).toContain("--version");
      expect(calls).toEqual([]);
    }
  });

  it("--version prints the project's version from package.json", async () => {
    const { command, calls } = demo();
    const run = await runCaptured(command, ["--version"]);
    expect(run).toEqual({ code: 0, stdout: `cmic-entra-oauth ${VERSION}\n`, stderr: "" });
    expect(calls).toEqual([]);
  });

  it("parsing comes first: --help next to an unknown option is still a usage error", async () => {
    const { command } = demo();
    expect((await runCaptured(command, ["--help", "--bogus"])).code).toBe(2);
  });
});

describe("usage errors: one format, exit 2", () => {
  it.each([
    [["--bogus"], "Unknown option '--bogus'."],
    [["-x"], "Unknown option '-x'."],
    [["--name"], "--name needs a value."],
    [["--loud=yes"], "--loud takes no value."],
    [["stray"], "Unexpected argument 'stray'."],
  ])("%j → %s", async (argv, problem) => {
    const { command, calls } = demo();
    const run = await runCaptured(command, argv);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.startsWith(`demo: ${problem}\n`)).toBe(true);
    expect(run.stderr.endsWith("Run `npm run demo -- --help` for the options.\n")).toBe(true);
    expect(calls).toEqual([]);
  });

  it("takes a negative number as a value, so the option's own check names the problem", async () => {
    const { command, calls } = demo();
    const run = await runCaptured(command, ["--count", "-3"]);
    expect(calls).toEqual([{ count: "-3" }]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(usageText("demo", "npm run demo --", "--count must be a whole number ≥ 1, got '-3'."));
  });

  it("a value that starts with a dash but is no number still needs the = form", async () => {
    const { command } = demo();
    const run = await runCaptured(command, ["--name", "-weird"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--name needs a value.");
    expect(run.stderr).toContain("--name=VALUE");
    expect((await runCaptured(command, ["--name=-weird"])).code).toBe(0);
  });

  it.each([
    ["1", 1],
    ["0.5", 0.5],
    [".5", 0.5],
    [" 2 ", 2],
  ])("numberOption reads %j as %p", (text, value) => {
    expect(numberOption("n", text)).toBe(value);
  });

  it.each(["", " ", "0x10", "1e3", "Infinity", "NaN", "1.5.2", "soon"])("numberOption rejects %j", (text) => {
    expect(() => numberOption("n", text)).toThrow(UsageError);
  });

  it("numberOption checks the range and whole numbers", () => {
    expect(() => numberOption("n", "-1", { min: 0 })).toThrow("--n must be a number ≥ 0, got '-1'.");
    expect(() => numberOption("n", "601", { min: 0, max: 600, unit: "seconds" })).toThrow(
      "--n must be a number of seconds from 0 to 600, got '601'.",
    );
    expect(() => numberOption("n", "1.5", { integer: true })).toThrow("--n must be a whole number, got '1.5'.");
    expect(numberOption("n", undefined)).toBeUndefined();
  });

  const everyCli: Array<Command<OptionSpecs>> = [
    verifyCommand,
    driftCommand,
    handoffCommand,
    rotateCommand,
    sandboxCommand,
    benchCommand,
    emulatorCommand,
    withEmulatorCaCommand,
  ] as unknown as Array<Command<OptionSpecs>>;

  it.each(everyCli.map((command) => [command.name, command] as const))(
    "%s: --bogus gets the same message and exit 2; --help and --version exit 0",
    async (_name, command) => {
      const bogus = await runCaptured(command, ["--bogus"]);
      expect(bogus).toEqual({ code: 2, stdout: "", stderr: usageText(command.name, command.invocation, "Unknown option '--bogus'.") });
      const help = await runCaptured(command, ["--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("Usage:");
      expect(help.stdout).toContain("--version");
      expect(help.stderr).toBe("");
      expect(await runCaptured(command, ["--version"])).toEqual({ code: 0, stdout: `cmic-entra-oauth ${VERSION}\n`, stderr: "" });
    },
  );

  it("withEmulatorCa passes everything after the command through, and parses only what comes before", () => {
    expect(parseCommandLine(withEmulatorCaCommand, ["--", "jest", "--bogus"]).positionals).toEqual(["jest", "--bogus"]);
    expect(parseCommandLine(withEmulatorCaCommand, ["ts-node", "x.ts", "--help"]).positionals).toEqual(["ts-node", "x.ts", "--help"]);
    expect(parseCommandLine(withEmulatorCaCommand, ["--help"]).help).toBe(true);
  });

  it("bench checks --suite before running anything", async () => {
    expect(await runCaptured(benchCommand, ["--suite", "nope"])).toEqual({
      code: 2,
      stdout: "",
      stderr: usageText("bench", "npm run bench --", "--suite 'nope' is not one of verify, drift, start."),
    });
  });

  it("drift applies and documents its defaults, deadlines included", async () => {
    expect(parseDriftArgs(["--stack", "s"], {})).toMatchObject({
      concurrency: 4,
      auditConcurrency: 16,
      expiryDays: 30,
      requestTimeoutMs: 60_000,
      stackTimeoutMs: 900_000,
    });
    expect(parseDriftArgs(["--stack", "s", "--request-timeout", "5", "--stack-timeout", "30"], {})).toMatchObject({
      requestTimeoutMs: 5_000,
      stackTimeoutMs: 30_000,
    });
    const help = (await runCaptured(driftCommand, ["--help"])).stdout;
    expect(help).toContain("(default 4)");
    expect(help).toContain("(default 16)");
    expect(help).toContain("(default 60 s, 1–600)");
    expect(help).toContain("(default 900 s, 10–86400)");
  });
});

describe("errors: one place maps them to output and exit code", () => {
  it("a CmicError prints its message and its fix from the field, and ends with its exit code", async () => {
    const { command } = demo(async () => {
      throw new CmicError("ERR_DEMO", "the widget is gone.", { fix: "put the widget back.", exitCode: 3 });
    });
    expect(await runCaptured(command, [])).toEqual({
      code: 3,
      stdout: "",
      stderr: "demo: the widget is gone.\nFix: put the widget back.\n",
    });
  });

  it("a CmicError without a fix prints only its message; exit code 1 by default", async () => {
    const { command } = demo(async () => {
      throw new CmicError("ERR_DEMO", "the widget is gone.");
    });
    expect(await runCaptured(command, [])).toEqual({ code: 1, stdout: "", stderr: "demo: the widget is gone.\n" });
  });

  it("a UsageError thrown by the command gets the usage format, its fix and exit 2", async () => {
    const { command } = demo(async () => {
      throw new UsageError("Give either --a or --b, not both.", "drop one of them.");
    });
    expect(await runCaptured(command, [])).toEqual({
      code: 2,
      stdout: "",
      stderr: "demo: Give either --a or --b, not both.\nFix: drop one of them.\nRun `npm run demo -- --help` for the options.\n",
    });
  });

  it("anything else is an unexpected error, exit 1", async () => {
    const { command } = demo(async () => {
      throw new TypeError("cannot read properties of undefined");
    });
    const run = await runCaptured(command, []);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^demo: unexpected error: TypeError: cannot read properties of undefined\n/);
    expect(run.stderr).toContain("This is a bug in demo");
  });

  it("the command's own exit code is returned as is", async () => {
    const { command } = demo(async () => 3);
    expect((await runCaptured(command, [])).code).toBe(3);
  });
});

describe("redaction", () => {
  it("hides secrets known from the environment, also inside a usage error", async () => {
    const { command } = demo();
    const run = await runCaptured(command, ["--count", SECRET], { env: { DEMO_SECRET: SECRET } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--count must be a whole number");
    expect(run.stderr).toContain("[redacted]");
    expect(run.stdout + run.stderr).not.toContain(SECRET);
  });

  it("hides a secret the command learns while running, in output and in errors", async () => {
    const { command } = demo(async (options, addSecret) => {
      const io = options.io as { stdout(text: string): void };
      addSecret(SECRET);
      io.stdout(`the secret is ${SECRET}\n`);
      throw new Error(`request failed with client_secret=${SECRET}`);
    });
    const run = await runCaptured(command, [], { env: {} });
    expect(run.stdout).toBe("the secret is [redacted]\n");
    expect(run.stderr).toContain("client_secret=[redacted]");
    expect(run.stdout + run.stderr).not.toContain(SECRET);
  });

  it("verify never prints its client secret, even when a usage error would echo it", async () => {
    const run = await runCaptured(
      verifyCommand,
      [
        "--tenant-id",
        "t",
        "--client-id",
        "c",
        "--scope",
        "api://c/.default",
        "--no-cmicuser",
        "--client-secret",
        SECRET,
        "--timeout",
        SECRET,
      ],
      {
        env: { CMIC_STACK_OUTPUTS: "" },
      },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--timeout");
    expect(run.stdout + run.stderr).not.toContain(SECRET);
  });
});

/** Run `node -r ts-node/register -e <script>` in the project directory; for what a fresh process does. */
function nodeEval(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", "ts-node/register", "-e", script], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true", CMIC_CLIENT_SECRET: "", CMIC_STACK_OUTPUTS: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const CLI_FILES = ["verify", "drift", "handoff", "rotate", "audit", "adopt", "sandbox", "bench", "emulator"]
  .map((name) => `./scripts/${name}/cli.ts`)
  .concat("./scripts/shared/withEmulatorCa.ts");

describe("the process", () => {
  it("importing any CLI runs nothing: no output, and the process ends by itself", async () => {
    const run = await nodeEval(
      `${CLI_FILES.map((file) => `require(${JSON.stringify(file)});`).join("")} process.stdout.write("imported\\n");`,
    );
    expect(run).toEqual({ code: 0, stdout: "imported\n", stderr: "" });
  });

  it("--help and a usage error load neither @azure/identity, jose nor the Graph client", async () => {
    const script = `
      const { runCaptured } = require("./scripts/shared/cli.ts");
      const commands = [
        require("./scripts/verify/cli.ts").verifyCommand,
        require("./scripts/drift/cli.ts").driftCommand,
        require("./scripts/handoff/cli.ts").handoffCommand,
        require("./scripts/rotate/cli.ts").rotateCommand,
        require("./scripts/audit/cli.ts").auditCommand,
        require("./scripts/adopt/cli.ts").adoptCommand,
        require("./scripts/sandbox/cli.ts").sandboxCommand,
        require("./scripts/bench/cli.ts").benchCommand,
        require("./scripts/shared/withEmulatorCa.ts").withEmulatorCaCommand,
      ];
      (async () => {
        const codes = [];
        for (const command of commands) {
          codes.push((await runCaptured(command, ["--help"])).code);
          codes.push((await runCaptured(command, ["--bogus"])).code);
        }
        codes.push((await runCaptured(commands[0], ["--client-id", "c"], { env: {} })).code);
        const heavy = Object.keys(require.cache).filter((file) => /@azure[\\\\/]identity|node_modules[\\\\/]jose|microsoft-graph-client/.test(file));
        process.stdout.write(JSON.stringify({ codes, heavy }));
      })();
    `;
    const run = await nodeEval(script);
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({ codes: [0, 2, 0, 2, 0, 2, 0, 2, 0, 2, 0, 2, 0, 2, 0, 2, 0, 2, 2], heavy: [] });
  });

  it("`npm run bench -- --help` prints the help and runs nothing; `-- --bogus` exits 2 (through the CA wrapper)", async () => {
    const npm = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn("npm", ["run", "--silent", "bench", "--", ...args], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
      });
    const [help, bogus] = await Promise.all([npm(["--help"]), npm(["--bogus"])]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: npm run bench");
    expect(help.stderr).not.toContain("running the");
    expect(bogus.code).toBe(2);
    expect(bogus.stdout).toBe("");
    expect(bogus.stderr).toContain(usageText("bench", "npm run bench --", "Unknown option '--bogus'."));
    expect(bogus.stderr).not.toContain("running the");
  });

  it("the real process ends with the command's exit code, usage errors on stderr only", async () => {
    const usage = await runScript("verify", ["--bogus"], { env: { CMIC_CLIENT_SECRET: "", CMIC_STACK_OUTPUTS: "" } });
    expect(usage).toEqual({ code: 2, stdout: "", stderr: usageText("verify", "npm run verify --", "Unknown option '--bogus'.") });
    const version = await runScript("verify", ["--version"]);
    expect(version).toEqual({ code: 0, stdout: `cmic-entra-oauth ${VERSION}\n`, stderr: "" });
  });
});
