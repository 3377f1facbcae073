/**
 * The provider models under test: a ProviderContext on an emulator tenant, signed in as its deployer
 * the way scripts/sandbox/deployStack.ts `deployerGraph` builds it, with a clock the test sets, the
 * Graph calls the models make (method, path, filter, body), and the commands they run.
 */
import type { Client, GraphRequest } from "@microsoft/microsoft-graph-client";
import { deployerGraph } from "../../../scripts/sandbox/deployStack";
import type { BreakName } from "../../../scripts/sandbox/breaks";
import type { Properties, ProviderContext } from "../../../scripts/sandbox/provider/types";
import { useEmulatorFixture, type EmulatorFixture } from "../../support/emulatorFixture";

export interface GraphCallRecord {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  filter?: string;
  body?: unknown;
}

export interface CommandRecord {
  resourceName: string;
  commandLine: string;
  environment: Record<string, string>;
}

export interface Harness {
  fixture: EmulatorFixture;
  ctx: ProviderContext & { resourceName?: string };
  /** Every Graph call the models made through ctx.graph, in order. */
  calls: GraphCallRecord[];
  commands: CommandRecord[];
  /** What ctx.now() returns; tests move it. */
  clock: { now: Date };
  /** A Graph client outside the recording, to look at or change the tenant behind the models' back. */
  graph: Client;
}

export interface HarnessOptions {
  breakName?: BreakName;
  resourceName?: string;
  now?: Date;
  /** What ctx.runCommand answers (default: stdout "ok\n"). */
  runCommand?: (record: CommandRecord) => Promise<{ stdout: string; stderr: string }>;
}

const METHODS = { get: "GET", post: "POST", patch: "PATCH", delete: "DELETE" } as const;

/** A GraphRequest that records get/post/patch/delete before sending them. */
function recordingRequest(request: GraphRequest, path: string, calls: GraphCallRecord[], filter?: string): GraphRequest {
  return new Proxy(request, {
    get(target, property, receiver) {
      if (property === "filter") return (expression: string) => recordingRequest(target.filter(expression), path, calls, expression);
      if (typeof property === "string" && property in METHODS) {
        const method = METHODS[property as keyof typeof METHODS];
        return (body?: unknown) => {
          calls.push({ method, path, ...(filter !== undefined ? { filter } : {}), ...(body !== undefined ? { body } : {}) });
          const send = Reflect.get(target, property, receiver) as (this: GraphRequest, content?: unknown) => Promise<unknown>;
          return send.call(target, body);
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function recordingClient(graph: Client, calls: GraphCallRecord[]): Client {
  return new Proxy(graph, {
    get(target, property, receiver) {
      if (property === "api") return (path: string) => recordingRequest(target.api(path), path, calls);
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

/** Start one emulator for the describe block; each call of the returned function is a fresh harness on it. */
export function useHarness(): (options?: HarnessOptions) => Harness {
  const fixture = useEmulatorFixture({ tenant: { initialDomain: "contoso.onmicrosoft.com", verifiedDomains: ["contoso.com"] } });
  let graph: Client | undefined;
  return (options = {}) => {
    const f = fixture();
    graph ??= deployerGraph(f.emulator.url, f.tenant);
    const calls: GraphCallRecord[] = [];
    const commands: CommandRecord[] = [];
    const clock = { now: options.now ?? new Date() };
    const runCommand = options.runCommand ?? (() => Promise.resolve({ stdout: "ok\n", stderr: "" }));
    const ctx: ProviderContext & { resourceName?: string } = {
      graph: recordingClient(graph, calls),
      tenantId: f.tenant.tenantId,
      now: () => clock.now,
      breakName: options.breakName,
      runCommand(resourceName, commandLine, environment) {
        const record = { resourceName, commandLine, environment };
        commands.push(record);
        return runCommand(record);
      },
      ...(options.resourceName ? { resourceName: options.resourceName } : {}),
    };
    return { fixture: f, ctx, calls, commands, clock, graph };
  };
}

/** The calls other than reads, as `METHOD path`: the requests that change the tenant. */
export function writes(calls: GraphCallRecord[]): string[] {
  return calls.filter((call) => call.method !== "GET").map((call) => `${call.method} ${call.path}`);
}

/** A unique display name per test, so tests sharing a tenant do not see each other's applications. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

/** `inputs` with one property replaced (or removed, for undefined). */
export function withInput(inputs: Properties, property: string, value: unknown): Properties {
  const next = { ...inputs };
  if (value === undefined) delete next[property];
  else next[property] = value;
  return next;
}

/** The clock a diff reads when a test does not move it. */
export const PLAN_CLOCK = { now: (): Date => new Date() };
