/**
 * `/servicePrincipals`: list, create, read, update (the preferred token signing key) and delete
 * service principals, and `addTokenSigningCertificate` (an app-specific token signing key).
 */
import crypto from "node:crypto";
import { badRequest, graphError, notFound } from "../errors";
import { json, type EmulatorResponse } from "../http";
import { createSigningKey } from "../signingKeys";
import type { Application, DirectoryStore, ServicePrincipal } from "../store";
import { contextUrl, entityKey, entityResponse, listResponse, parseJsonBody, type GraphCall } from "./call";
import { servicePrincipalView } from "./objects";
import { graphDateTime } from "./dates";

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/** The service principal the path addresses, in the caller's tenant, or 404. */
export function findServicePrincipal(call: GraphCall): ServicePrincipal {
  const { store, tenant } = call;
  const key = entityKey(call);
  const sp = key.id ? store.servicePrincipals.get(key.id) : store.findServicePrincipal(tenant.id, key.appId ?? "");
  if (!sp || sp.tenantId !== tenant.id) throw notFound(key.id ?? key.appId ?? "");
  return sp;
}

export function listServicePrincipals(call: GraphCall): EmulatorResponse {
  const { store, tenant } = call;
  return listResponse(
    call,
    "servicePrincipals",
    store.servicePrincipalsOf(tenant.id).map((sp) => servicePrincipalView(store, sp)),
  );
}

/** The application a new service principal stands for: in this tenant, or multi-tenant elsewhere. */
function backingApplication(call: GraphCall, requestedAppId: string): Application {
  const { store, tenant } = call;
  const appId = requestedAppId.toLowerCase();
  const app = store.findApplicationByAppId(appId);
  if (!app || (app.tenantId !== tenant.id && app.signInAudience === "AzureADMyOrg")) {
    throw badRequest(`The appId '${requestedAppId}' of the service principal does not reference a valid application object.`, [
      {
        code: "NoBackingApplicationObject",
        message: `The appId '${requestedAppId}' of the service principal does not reference a valid application object.`,
        target: "appId",
      },
    ]);
  }
  if (store.findServicePrincipal(tenant.id, appId)) {
    throw graphError(
      409,
      "Request_MultipleObjectsWithSameKeyValue",
      `The service principal cannot be created, updated, or restored because the service principal name ${appId} is already in use.`,
    );
  }
  return app;
}

/** A new service principal of `app` in `tenantId`, added to the store (replicating from now on). */
export function addServicePrincipal(store: DirectoryStore, tenantId: string, app: Application): ServicePrincipal {
  const sp: ServicePrincipal = {
    tenantId,
    id: crypto.randomUUID(),
    appId: app.appId,
    displayName: app.displayName,
    createdDateTime: graphDateTime(store.now()),
    readyAt: store.readyAtFromNow(),
    claimsMappingPolicies: [],
    tokenSigningKeys: [],
    preferredTokenSigningKeyThumbprint: null,
  };
  store.servicePrincipals.set(sp.id, sp);
  return sp;
}

export function createServicePrincipal(call: GraphCall): EmulatorResponse {
  const { store, tenant } = call;
  const body = parseJsonBody(call.request);
  if (typeof body.appId !== "string") throw badRequest("Property 'appId' is required when creating a service principal.");
  const sp = addServicePrincipal(store, tenant.id, backingApplication(call, body.appId));
  return entityResponse(call, "servicePrincipals", servicePrincipalView(store, sp), 201);
}

export function getServicePrincipal(call: GraphCall): EmulatorResponse {
  return entityResponse(call, "servicePrincipals", servicePrincipalView(call.store, findServicePrincipal(call)));
}

export function deleteServicePrincipal(call: GraphCall): EmulatorResponse {
  const sp = findServicePrincipal(call);
  if (sp.firstParty) throw graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
  call.store.servicePrincipals.delete(sp.id);
  return { status: 204 };
}

/** PATCH: only `preferredTokenSigningKeyThumbprint` is modelled; other properties are accepted and ignored. */
export function updateServicePrincipal(call: GraphCall): EmulatorResponse {
  const sp = findServicePrincipal(call);
  const body = parseJsonBody(call.request);
  if (body.preferredTokenSigningKeyThumbprint !== undefined) {
    const thumbprint = body.preferredTokenSigningKeyThumbprint;
    if (
      thumbprint !== null &&
      (typeof thumbprint !== "string" || !sp.tokenSigningKeys.some((k) => k.thumbprintHex === thumbprint.toUpperCase()))
    ) {
      throw badRequest("preferredTokenSigningKeyThumbprint must be the thumbprint of one of the service principal's signing certificates.");
    }
    sp.preferredTokenSigningKeyThumbprint = thumbprint === null ? null : (thumbprint as string).toUpperCase();
  }
  return { status: 204 };
}

export function addTokenSigningCertificate(call: GraphCall): EmulatorResponse {
  const sp = findServicePrincipal(call);
  const body = parseJsonBody(call.request);
  const now = call.store.now();
  const end = body.endDateTime ? new Date(String(body.endDateTime)) : new Date(now + 3 * YEAR_MS);
  if (Number.isNaN(end.getTime()) || end.getTime() <= now) throw badRequest("endDateTime must be a future ISO 8601 date-time.");
  const displayName = typeof body.displayName === "string" && body.displayName !== "" ? body.displayName : `CN=${sp.displayName}`;
  const key = createSigningKey(displayName.replace(/^CN=/i, ""), new Date(now - 60_000), end);
  sp.tokenSigningKeys.push(key);
  sp.preferredTokenSigningKeyThumbprint = key.thumbprintHex;
  return json(200, {
    "@odata.context": contextUrl(call, "microsoft.graph.selfSignedCertificate"),
    customKeyIdentifier: Buffer.from(key.thumbprintHex, "hex").toString("base64"),
    displayName,
    endDateTime: graphDateTime(key.notAfter),
    key: key.certDer.toString("base64"),
    keyId: crypto.randomUUID(),
    startDateTime: graphDateTime(key.notBefore),
    thumbprint: key.thumbprintHex,
    type: "AsymmetricX509Cert",
    usage: "Verify",
  });
}
