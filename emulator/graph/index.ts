/**
 * Microsoft Graph v1.0, the part the project uses: organization, domains, applications, service
 * principals, claims-mapping policies and their assignment, and JSON `$batch`.
 *
 * The caller's tenant comes from its bearer token (`tid`), as in Graph. Reads are immediately
 * consistent; only the token endpoint models replication lag.
 */
import type { EmulatorContext } from "../context";
import { errorResponse } from "../errors";
import { header, type EmulatorRequest, type EmulatorResponse } from "../http";
import { authenticate } from "./authenticate";
import type { BatchedRequestRecord, GraphSession } from "./call";
import { findRoute } from "./router";
import { COMPILED_GRAPH_ROUTES } from "./routes";

export { BATCH_LIMIT } from "./batch";
export type { BatchedRequestRecord } from "./call";

async function route(session: GraphSession, request: EmulatorRequest, topLevel: boolean): Promise<EmulatorResponse> {
  const found = findRoute(COMPILED_GRAPH_ROUTES, request, topLevel);
  // Unreachable: the table ends with a catch-all for every path.
  if (!found) throw new Error(`no Graph route for ${request.method} ${request.path}`);
  return found.route.handler({
    ...session,
    store: session.context.store,
    tenant: session.caller.tenant,
    request,
    params: found.params,
    routeBatched: (inner) => route(session, inner, false),
  });
}

/** Handle one Graph request (already under `/v1.0`); errors are answered as Graph's OData errors. */
export async function handleGraph(
  context: EmulatorContext,
  request: EmulatorRequest,
  onBatched?: (record: BatchedRequestRecord) => void,
): Promise<EmulatorResponse> {
  try {
    const caller = await authenticate(context, request);
    return await route({ context, caller, onBatched }, request, true);
  } catch (error) {
    return errorResponse(error, "odata", header(request, "client-request-id"));
  }
}
