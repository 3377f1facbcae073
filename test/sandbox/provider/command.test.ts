/** The command.local.Command model: which command runs on create, update and delete, and what replaces it. */
import { commandModel } from "../../../scripts/sandbox/provider/command";
import { ResourceApplyError } from "../../../scripts/sandbox/provider/errors";
import type { Properties, ProviderContext } from "../../../scripts/sandbox/provider/types";
import { PLAN_CLOCK, type CommandRecord } from "./harness";

/** Commands need no tenant: a context whose runCommand records and answers. */
function context(answer: (record: CommandRecord) => { stdout: string; stderr: string } = () => ({ stdout: "checked\n", stderr: "" })) {
  const commands: CommandRecord[] = [];
  const ctx: ProviderContext & { resourceName: string } = {
    graph: undefined as unknown as ProviderContext["graph"],
    tenantId: "00000000-0000-0000-0000-000000000000",
    now: () => new Date(),
    resourceName: "cmic-token-check",
    runCommand(resourceName, commandLine, environment) {
      const record = { resourceName, commandLine, environment };
      commands.push(record);
      return Promise.resolve(answer(record));
    },
  };
  return { ctx, commands };
}

const inputs: Properties = {
  create: "node dist/scripts/verify/cli.js --just-deployed",
  update: "node dist/scripts/verify/cli.js --just-deployed --again",
  environment: { CMIC_STACK_OUTPUTS: "{}" },
  triggers: ["client-id", "/applications/x/identifierUris/eA=="],
};

describe("command.local.Command", () => {
  it("create runs `create` with the environment; the id is the name and 8 hex digits; read changes nothing", async () => {
    const { ctx, commands } = context();
    await commandModel.check?.(inputs, ctx, null);
    const { id, state } = await commandModel.create(inputs, ctx);
    expect(id).toMatch(/^cmic-token-check[0-9a-f]{8}$/);
    expect(commands).toEqual([{ resourceName: "cmic-token-check", commandLine: inputs.create, environment: inputs.environment }]);
    expect(state).toEqual({ ...inputs, stdout: "checked", stderr: "" });
    expect(await commandModel.read(id, state, ctx)).toBe(state);
    expect(commandModel.diff(state, inputs, PLAN_CLOCK)).toEqual([]);
  });

  it("a changed environment or command is an update; a changed trigger is a replacement", async () => {
    const { ctx } = context();
    const { state } = await commandModel.create(inputs, ctx);
    expect(commandModel.diff(state, { ...inputs, environment: { CMIC_STACK_OUTPUTS: '{"clientId":"x"}' } }, PLAN_CLOCK)).toEqual([
      { property: "environment", replace: false },
    ]);
    expect(commandModel.diff(state, { ...inputs, create: "true" }, PLAN_CLOCK)).toEqual([{ property: "create", replace: false }]);
    expect(commandModel.diff(state, { ...inputs, triggers: ["client-id", "/applications/x/identifierUris/eQ=="] }, PLAN_CLOCK)).toEqual([
      { property: "triggers", replace: true },
    ]);
  });

  it("update runs `update` (or `create` without one) with the previous outputs in PULUMI_COMMAND_STDOUT", async () => {
    const { ctx, commands } = context(() => ({ stdout: "second\n", stderr: "" }));
    const state = { ...inputs, stdout: "first", stderr: "" };
    const next: Properties = { ...inputs, environment: { CMIC_STACK_OUTPUTS: "[]" } };
    const updated = await commandModel.update("id", state, next, ctx);
    expect(commands[0]).toEqual({
      resourceName: "cmic-token-check",
      commandLine: inputs.update,
      environment: { CMIC_STACK_OUTPUTS: "[]", PULUMI_COMMAND_STDOUT: "first" },
    });
    expect(updated).toEqual({ ...next, stdout: "second", stderr: "" });
    const { update: _update, ...withoutUpdate } = next;
    await commandModel.update("id", state, { ...withoutUpdate, addPreviousOutputInEnv: false }, ctx);
    expect(commands[1]).toEqual({
      resourceName: "cmic-token-check",
      commandLine: inputs.create,
      environment: { CMIC_STACK_OUTPUTS: "[]" },
    });
  });

  it("delete runs nothing without a delete command, and the delete command when there is one", async () => {
    const { ctx, commands } = context();
    await commandModel.delete("id", { ...inputs, stdout: "x" }, ctx);
    expect(commands).toEqual([]);
    await commandModel.delete("id", { ...inputs, delete: "echo bye", stdout: "x" }, ctx);
    expect(commands).toEqual([
      {
        resourceName: "cmic-token-check",
        commandLine: "echo bye",
        environment: { ...(inputs.environment as object), PULUMI_COMMAND_STDOUT: "x" },
      },
    ]);
  });

  it("a failing command fails the create; stdin and interpreter are refused", async () => {
    const { ctx } = context();
    const failing = {
      ...ctx,
      runCommand: () => Promise.reject(new ResourceApplyError("cmic-token-check", "the post-deploy token check failed")),
    };
    await expect(commandModel.create(inputs, failing)).rejects.toThrow("cmic-token-check: the post-deploy token check failed");
    await expect(commandModel.check?.({ ...inputs, stdin: "x" }, ctx, null)).rejects.toThrow(/does not model stdin/);
    await expect(commandModel.check?.({ ...inputs, dir: "/tmp" }, ctx, null)).rejects.toThrow(/project directory/);
  });
});
