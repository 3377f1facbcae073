/**
 * Read the app's credentials from Entra for the handoff sheet: which secrets the connector may
 * still be using (previous, retained) and which other certificates are registered. Never fails the
 * sheet: an unreadable answer becomes a note that names the cause.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { appCredentialsOf, credentialRoles } from "../../contract/appCredentials";
import type { StackOutputs } from "../../contract/stackOutputs";
import { withDeadline } from "../shared/deadline";
import type { AppCredentialView } from "./rotationSection";

/** Graph answers in well under a second; a minute bounds a sign-in that will not finish (no hang). */
const READ_TIMEOUT_MS = 60_000;

export async function readAppCredentialView(graph: Client, outputs: StackOutputs, now: Date): Promise<AppCredentialView> {
  try {
    const application = (await withDeadline(
      graph.api(`/applications/${outputs.applicationObjectId}`).select("passwordCredentials,keyCredentials").get() as Promise<unknown>,
      READ_TIMEOUT_MS,
      "Reading the application's credentials from Microsoft Graph",
    )) as Record<string, unknown>;
    return { roles: credentialRoles(appCredentialsOf(application), outputs, now) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { unreadable: `${message.split("\n")[0]} (the sheet signs in as AZURE_CLIENT_ID / az login, with Application.Read.All)` };
  }
}
