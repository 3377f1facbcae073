/**
 * Runs the real Pulumi program (index.ts) in-process under Pulumi's mocks and collects what it
 * declared and exported. Tests use it with recording mocks; `npm run sandbox` with mocks that apply
 * each resource to the Entra emulator through Microsoft Graph.
 */
import { CONFIG_NAMESPACE } from "../../contract/kinds";
import * as pulumi from "@pulumi/pulumi";
import * as pulumiSettings from "@pulumi/pulumi/runtime/settings";

/**
 * Pulumi's own "wait until every resource registration has finished" (what `pulumi up` waits for
 * before it exits). It is exported by the SDK but marked internal, so it is looked up defensively.
 */
function waitForRegistrations(): Promise<void> {
  const wait = (pulumiSettings as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
  if (typeof wait !== "function") {
    throw new Error("This @pulumi/pulumi version has no runtime.settings.waitForRPCs; pin the version in package.json.");
  }
  return wait();
}

/** One resource the program declared, with the inputs the provider would have received. */
export interface DeclaredResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  id: string;
  state: Record<string, unknown>;
}

/** A resolved stack output and whether Pulumi would store it as a secret. */
export interface ResolvedOutput {
  value: unknown;
  /** Paths (e.g. `""` for the whole value, `"clientSecret"` for a property) that are secret. */
  secretPaths: string[];
}

export interface ProgramRunOptions {
  project?: string;
  stack: string;
  /** Stack config, fully qualified keys (`cmic-entra-oauth:deployment`), values as `pulumi config` stores them. */
  config: Record<string, string>;
  mocks: pulumi.runtime.Mocks;
  /** Loads index.ts once (tests wrap `require` in `jest.isolateModules` for a fresh program). */
  loadProgram: () => Record<string, unknown>;
  /** Run as `pulumi preview` does (`pulumi.runtime.isDryRun()` true; unknown computed values). */
  preview?: boolean;
  /** Called once the mock monitor is in place, before the program loads (the engine reads resource options from it). */
  onMocksInstalled?(): void;
}

export interface ProgramRun {
  outputs: Record<string, ResolvedOutput>;
}

/** What a preview reports for an output not known until the update (the SDK's own marker, runtime/rpc.ts `unknownValue`). */
export const UNKNOWN_OUTPUT = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Resolve an Output (or a plain value holding Outputs) and record which parts are secret. */
export async function resolveDeep(value: unknown, path = ""): Promise<ResolvedOutput> {
  if (pulumi.Output.isInstance(value)) {
    const output = value as pulumi.Output<unknown>;
    // A value not known at preview never reaches `apply` callbacks: report the SDK's unknown marker.
    if (!(await (output as unknown as { isKnown: Promise<boolean> }).isKnown)) {
      return { value: UNKNOWN_OUTPUT, secretPaths: (await pulumi.isSecret(output)) ? [path] : [] };
    }
    const [inner, secret] = await Promise.all([
      new Promise<unknown>((resolve) =>
        output.apply((v) => {
          resolve(v);
          return v;
        }),
      ),
      pulumi.isSecret(output),
    ]);
    const resolved = await resolveDeep(inner, path);
    return { value: resolved.value, secretPaths: secret ? [path, ...resolved.secretPaths] : resolved.secretPaths };
  }
  if (value instanceof Promise) return resolveDeep(await value, path);
  if (Array.isArray(value)) {
    const items = await Promise.all(value.map((item, index) => resolveDeep(item, path ? `${path}[${index}]` : `[${index}]`)));
    return { value: items.map((item) => item.value), secretPaths: items.flatMap((item) => item.secretPaths) };
  }
  if (value !== null && typeof value === "object") {
    const entries = await Promise.all(
      Object.entries(value as Record<string, unknown>).map(
        async ([key, item]) => [key, await resolveDeep(item, path ? `${path}.${key}` : key)] as const,
      ),
    );
    return {
      value: Object.fromEntries(entries.map(([key, item]) => [key, item.value])),
      secretPaths: entries.flatMap(([, item]) => item.secretPaths),
    };
  }
  return { value, secretPaths: [] };
}

/**
 * Configure Pulumi's mock runtime, load the program, and resolve every export. Errors thrown by the
 * program (e.g. SettingsError for a bad stack setting) reject the returned promise unchanged.
 */
export async function runProgram(options: ProgramRunOptions): Promise<ProgramRun> {
  const project = options.project ?? CONFIG_NAMESPACE;
  // Every registration is tracked so that one nobody reads (the post-deploy check) still has to
  // succeed, as `pulumi up` would fail on it.
  // A registration that fails is not reported to Pulumi as a failure: the SDK would reject the
  // resource's own output promises, which nobody awaits, and the unhandled rejections would take the
  // process down (the Pulumi language host absorbs them; a test runner or this CLI does not). Instead
  // the first failure is kept, nothing after it is applied (as `pulumi up` stops), and runProgram
  // rejects with it.
  const registrations: Promise<unknown>[] = [];
  let failure: { reason: unknown } | null = null;
  let reportFailure: (reason: unknown) => void = () => undefined;
  const firstFailure = new Promise<never>((_, reject) => {
    reportFailure = reject;
  });
  firstFailure.catch(() => undefined);
  const track = <T>(work: () => T | Promise<T>, placeholder: T): Promise<T> => {
    const result = Promise.resolve().then(async () => {
      if (failure) return placeholder;
      try {
        return await work();
      } catch (reason) {
        if (!failure) {
          failure = { reason };
          reportFailure(reason);
        }
        return placeholder;
      }
    });
    registrations.push(result);
    return result;
  };
  const tracking: pulumi.runtime.Mocks = {
    call: (args) => track(() => options.mocks.call(args), {}),
    newResource: (args) => track(() => options.mocks.newResource(args), { id: "", state: {} }),
  };
  const run = await runRegistered(options, project, tracking, firstFailure, registrations);
  if (failure) throw (failure as { reason: unknown }).reason;
  return run;
}

async function runRegistered(
  options: ProgramRunOptions,
  project: string,
  tracking: pulumi.runtime.Mocks,
  firstFailure: Promise<never>,
  registrations: Promise<unknown>[],
): Promise<ProgramRun> {
  pulumi.runtime.setAllConfig(options.config);
  await pulumi.runtime.setMocks(tracking, project, options.stack, options.preview ?? false);
  options.onMocksInstalled?.();
  const exported = options.loadProgram();
  const outputs: Record<string, ResolvedOutput> = {};
  const resolveAll = async (): Promise<void> => {
    for (const [key, value] of Object.entries(exported)) {
      outputs[key] = await resolveDeep(value);
    }
  };
  await Promise.race([resolveAll(), firstFailure]);
  await Promise.race([waitForRegistrations(), firstFailure]);
  for (let settled = 0; settled < registrations.length;) {
    const batch = registrations.slice(settled);
    settled = registrations.length;
    await Promise.all(batch);
  }
  return { outputs };
}

/** Plain stack outputs (what `pulumi stack output --json --show-secrets` would print). */
export function plainOutputs(run: ProgramRun): Record<string, unknown> {
  return Object.fromEntries(Object.entries(run.outputs).map(([key, output]) => [key, output.value]));
}

/** How the Pulumi SDK marks a secret value in the inputs it hands mocks: `{ [SIG]: SECRET_SIG, value }`. */
const SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270";

function isSecretEnvelope(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIGNATURE_KEY] === SECRET_SIGNATURE;
}

/**
 * Mock inputs with Pulumi's secret envelopes removed (and preview's unknowns as UNKNOWN_OUTPUT),
 * plus the dotted paths that were secret, so mocks can use the values and tests can assert what
 * Pulumi would store encrypted.
 */
export function unwrapMockInputs(inputs: Record<string, unknown>): { inputs: Record<string, unknown>; secretPaths: string[] } {
  const secretPaths: string[] = [];
  const unwrap = (value: unknown, path: string): unknown => {
    // A value not known at preview arrives as the SDK's Unknown object: written as its marker string.
    if (pulumi.isUnknown(value)) return UNKNOWN_OUTPUT;
    if (isSecretEnvelope(value)) {
      secretPaths.push(path);
      return unwrap(value.value, path);
    }
    if (Array.isArray(value)) return value.map((item, index) => unwrap(item, `${path}[${index}]`));
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, unwrap(item, path ? `${path}.${key}` : key)]),
      );
    }
    return value;
  };
  return { inputs: unwrap(inputs, "") as Record<string, unknown>, secretPaths };
}
