import { readFileSync } from "node:fs";
import type { ReplayReply, ReplayRequest, ReplayRoute } from "../helpers/replay-server.js";
import { ROTATION_FILES } from "./vault.js";

const json = (data: unknown, status = 200): ReplayReply => ({ status, headers: { "content-type": "application/json; charset=utf-8" }, body: JSON.stringify(data) });
const list = (file: string) => json({ success: true, data: { object: "list", data: JSON.parse(readFileSync(file, "utf8")) } });

/**
 * A stand-in for `bw serve` (the Vault Management API) answering from the rotation fixtures in its
 * envelope `{ success, data }`. `state` plays the vault: unlocked, or locked (every read refused).
 */
export function bwServeRoutes(state: "unlocked" | "locked" = "unlocked"): ReplayRoute[] {
  const refused = json({ success: false, message: "Vault is locked." }, 400);
  const items = JSON.parse(readFileSync(ROTATION_FILES.items, "utf8")) as { folderId: string | null }[];
  return [
    {
      name: "status",
      request: "GET /status",
      reply: json({
        success: true,
        data: { object: "template", template: { serverUrl: "https://vault.lab.example", lastSync: "2026-11-15T08:00:00.000Z", userEmail: "ops@lab.example", userId: "u-1", status: state } },
      }),
    },
    { name: "sync", request: "POST /sync", reply: state === "locked" ? refused : json({ success: true, data: { object: "message", title: null, message: "Syncing complete." } }) },
    { name: "organizations", request: "GET /list/object/organizations", reply: list(ROTATION_FILES.organizations) },
    { name: "folders", request: "GET /list/object/folders", reply: list(ROTATION_FILES.folders) },
    { name: "collections", request: "GET /list/object/collections", reply: list(ROTATION_FILES.collections) },
    { name: "items", request: "GET /list/object/items", reply: list(ROTATION_FILES.items) },
    {
      name: "items by folder",
      match: (r) => r.method === "GET" && r.path === "/list/object/items" && r.query.has("folderid"),
      reply: (r) => json({ success: true, data: { object: "list", data: items.filter((i) => i.folderId === r.query.get("folderid")) } }),
    },
  ];
}

/** `bw serve` refuses requests that carry an Origin header (CSRF protection), and only reads here. */
export function checkBwServeRequest(request: ReplayRequest): string | undefined {
  if (request.headers.origin) return "an Origin header: bw serve answers 403";
  if (request.method !== "GET" && !(request.method === "POST" && request.path === "/sync")) return `the ingest must only read, got ${request.method} ${request.path}`;
  return undefined;
}
