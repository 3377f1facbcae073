/**
 * The resource options of each registration (protect, retainOnDelete, ignoreChanges, …). Pulumi's
 * mock monitor hands mocks only the type, name and inputs; the options travel in the same
 * RegisterResourceRequest, so they are read from it before the mock monitor handles it.
 */
import * as pulumiSettings from "@pulumi/pulumi/runtime/settings";
import type { RegisterResourceRequest } from "@pulumi/pulumi/proto/resource_pb";

export interface RegistrationOptions {
  urn: string;
  parent: string | null;
  protect: boolean;
  retainOnDelete: boolean;
  ignoreChanges: string[];
  /** Unset: the provider decides (every provider here replaces create-before-delete). */
  deleteBeforeReplace: boolean | undefined;
  replaceOnChanges: string[];
  dependencies: string[];
  /** Outputs the SDK asks Pulumi to keep secret (ApplicationPassword's `value`). */
  additionalSecretOutputs: string[];
}

type RegisterCallback = (error: Error | null, response?: unknown) => void;

interface MockMonitorShape {
  registerResource(request: RegisterResourceRequest, callback: RegisterCallback): Promise<void>;
  newUrn(parent: string, type: string, name: string): string;
}

function isMockMonitor(value: unknown): value is MockMonitorShape {
  const monitor = value as Partial<MockMonitorShape> | undefined;
  return typeof monitor?.registerResource === "function" && typeof monitor.newUrn === "function";
}

/** Options of the registrations in flight, keyed by `type::name` (the only keys mocks receive). */
export class RegistrationOptionsTap {
  private readonly pending = new Map<string, RegistrationOptions>();

  /** Start reading the options of every registration on the current (mock) monitor. */
  static install(): RegistrationOptionsTap {
    const monitor: unknown = pulumiSettings.getMonitor();
    if (!isMockMonitor(monitor)) {
      throw new Error(
        "The sandbox engine needs Pulumi's mock monitor (setMocks) before the program runs; this @pulumi/pulumi version differs.",
      );
    }
    const tap = new RegistrationOptionsTap();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (request, callback) => {
      const parent = request.getParent() || null;
      const key = `${request.getType()}::${request.getName()}`;
      if (tap.pending.has(key)) {
        callback(
          new Error(
            `Two resources named '${request.getName()}' of type ${request.getType()}: the sandbox keys resources by type and name.`,
          ),
        );
        return Promise.resolve();
      }
      tap.pending.set(key, {
        urn: monitor.newUrn(parent ?? "", request.getType(), request.getName()),
        parent,
        protect: request.getProtect() === true,
        retainOnDelete: request.getRetainondelete() === true,
        ignoreChanges: request.getIgnorechangesList(),
        deleteBeforeReplace: request.getDeletebeforereplacedefined() ? request.getDeletebeforereplace() : undefined,
        replaceOnChanges: request.getReplaceonchangesList(),
        dependencies: request.getDependenciesList(),
        additionalSecretOutputs: request.getAdditionalsecretoutputsList(),
      });
      return register(request, callback);
    };
    return tap;
  }

  /** The options of the registration the mock is handling now (kept: a second registration under the same key is refused). */
  take(type: string, name: string): RegistrationOptions {
    const key = `${type}::${name}`;
    const options = this.pending.get(key);
    if (!options) throw new Error(`No registration options were seen for ${key}.`);
    return options;
  }
}
