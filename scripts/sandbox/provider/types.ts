/**
 * The contract between the sandbox's engine (scripts/sandbox/engine/, the model of what Pulumi's
 * engine does: refresh, diff, create/update/replace/delete, protect, retainOnDelete, ignoreChanges)
 * and its providers (one ResourceModel per resource type: what the real provider does to Entra
 * through Microsoft Graph, and how it reads it back).
 *
 * State is the provider's view of a resource, exactly what `pulumi stack export` would hold as the
 * resource's `outputs`: every input as the provider stores it (after its Read normalisation) plus
 * its computed values. The engine diffs the program's new inputs against this state, as
 * pulumi-terraform-bridge does (prior state = outputs, config = new inputs).
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import type { BreakName } from "../breaks";

export type Properties = Record<string, unknown>;

/** What a provider can reach while it works. */
export interface ProviderContext {
  /** Microsoft Graph, signed in as the tenant's deployer (the emulator in the sandbox). */
  graph: Client;
  tenantId: string;
  /** The clock of this run (the world's clock under `--at`): time.Rotating and credential dates use it. */
  now(): Date;
  /** `npm run sandbox -- --break NAME`: deploy a broken app on purpose. */
  breakName?: BreakName;
  /** The logical name of the resource being worked on (errors are named after it, as `pulumi up` prints them). */
  resourceName?: string;
  /**
   * Run a command.local.Command's command line the way pulumi-command does under `pulumi up`
   * (the post-deploy token check). Resolves with its stdout; rejects with a ResourceApplyError
   * when the command fails, as the Command resource fails the update.
   */
  runCommand(resourceName: string, commandLine: string, environment: Record<string, string>): Promise<{ stdout: string; stderr: string }>;
}

/** What a diff may read: the run's clock, nothing it could change. */
export type PlanContext = Pick<ProviderContext, "now">;

export interface CreateResult {
  /** The resource id the real provider gives (e.g. `/applications/<objectId>`). */
  id: string;
  /** The state after create, as the provider's Read would return it right after. */
  state: Properties;
}

/** One property that differs between the state and the new inputs. */
export interface PropertyDiff {
  /** Top-level input property name, as the Pulumi SDK spells it (`endDate`, `api`). */
  property: string;
  /** True when this change forces replacement (schema ForceNew / RequiresReplace / replaceOnChanges). */
  replace: boolean;
}

export interface ResourceModel {
  /** Pulumi type token, e.g. `azuread:index/application:Application`. */
  readonly type: string;
  /** Where each rule of this model comes from (repository@version path#lines), for a reader to check. */
  readonly sources: readonly string[];
  /**
   * Plan-time validation the provider does even in preview (e.g. preventDuplicateNames' Graph
   * filter), before create or update. Throws a ResourceApplyError.
   */
  check?(inputs: Properties, ctx: ProviderContext, state: Properties | null): Promise<void>;
  /**
   * The differences between the state and the program's new inputs, as the provider's Diff
   * reports them. Properties the program does not set and that the schema marks Optional+Computed
   * are not differences (the prior value is kept); properties listed in `ignoreChanges` have
   * already been copied from the state into `inputs` by the engine. `ctx` gives the run's clock
   * (time.Rotating's plan depends on it).
   */
  diff(state: Properties, inputs: Properties, ctx: PlanContext): PropertyDiff[];
  create(inputs: Properties, ctx: ProviderContext): Promise<CreateResult>;
  /** Refresh: the live state, normalised like the provider's Read; null when the object is gone. */
  read(id: string, state: Properties, ctx: ProviderContext): Promise<Properties | null>;
  /** In-place update (only called when no difference forces replacement). Returns the new state. */
  update(id: string, state: Properties, inputs: Properties, ctx: ProviderContext): Promise<Properties>;
  delete(id: string, state: Properties, ctx: ProviderContext): Promise<void>;
}
