import { z } from "zod";
import { CmdbError } from "../../util/errors.js";

/** PVE answers numbers as numbers or as numeric strings depending on version and endpoint. */
const numeric = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/, "expected a number")]).transform(Number);
/** PVE flags: 1/0, "1"/"0", "" for unset. */
const flag = z.union([z.number(), z.string(), z.boolean()]).transform((v) => v === true || v === 1 || v === "1");

export const proxmoxConfigSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: "a URL such as https://pve.example.org:8006" }),
    tokenId: z.string().regex(/^[^@\s]+@[^!\s]+![^\s]+$/, "an API token id of the form USER@REALM!TOKENID"),
    tokenSecret: z
      .string()
      .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "the API token secret, a UUID such as 12345678-1234-1234-1234-1234567890ab")
      .transform((s) => s.toLowerCase()),
    caFile: z.string().min(1).optional(),
    insecure: z.boolean().optional(),
    concurrency: z.number().int().min(1).max(64).optional(),
  })
  .strict();
export type ProxmoxConfig = z.infer<typeof proxmoxConfigSchema>;

export const clusterStatusSchema = z.array(
  z.looseObject({
    type: z.string(),
    name: z.string().optional(),
    online: flag.optional(),
    local: flag.optional(),
    nodeid: numeric.optional(),
    ip: z.string().optional(),
    quorate: flag.optional(),
    version: numeric.optional(),
    nodes: numeric.optional(),
  }),
);
export type ClusterStatusEntry = z.infer<typeof clusterStatusSchema>[number];

export const nodeListSchema = z.array(
  z.looseObject({
    node: z.string(),
    status: z.string().optional(),
    cpu: numeric.optional(),
    maxcpu: numeric.optional(),
    mem: numeric.optional(),
    maxmem: numeric.optional(),
    disk: numeric.optional(),
    maxdisk: numeric.optional(),
    uptime: numeric.optional(),
    level: z.string().optional(),
  }),
);
export type NodeListEntry = z.infer<typeof nodeListSchema>[number];

export const vmResourcesSchema = z.array(
  z.looseObject({
    vmid: numeric.optional(),
    node: z.string().optional(),
    type: z.string(),
    hastate: z.string().optional(),
  }),
);
export type VmResource = z.infer<typeof vmResourcesSchema>[number];

export const guestListSchema = z.array(
  z.looseObject({
    vmid: numeric,
    name: z.string().optional(),
    status: z.string().optional(),
    qmpstatus: z.string().optional(),
    template: flag.optional(),
    lock: z.string().optional(),
    tags: z.string().optional(),
    uptime: numeric.optional(),
  }),
);
export type GuestListEntry = z.infer<typeof guestListSchema>[number];

export const storageListSchema = z.array(
  z.looseObject({
    storage: z.string(),
    type: z.string().optional(),
    content: z.string().optional(),
    active: flag.optional(),
    enabled: flag.optional(),
    shared: flag.optional(),
    total: numeric.optional(),
    used: numeric.optional(),
    avail: numeric.optional(),
  }),
);
export type StorageEntry = z.infer<typeof storageListSchema>[number];

/** A guest's configuration: a flat map of option name to value (property strings are parsed in transform). */
export const guestConfigSchema = z.record(z.string(), z.union([z.string(), z.number()]));
export type GuestConfig = z.infer<typeof guestConfigSchema>;

const agentAddress = z.looseObject({
  "ip-address": z.string(),
  "ip-address-type": z.string().optional(),
  prefix: numeric.optional(),
});

/** QEMU guest agent's answer: the interface list, or an error object when the guest cannot answer. */
export const agentInterfacesSchema = z.looseObject({
  result: z.union([
    z.array(
      z.looseObject({
        name: z.string(),
        "hardware-address": z.string().optional(),
        "ip-addresses": z.array(agentAddress).optional(),
      }),
    ),
    z.looseObject({ error: z.looseObject({ class: z.string().optional(), desc: z.string().optional() }) }),
  ]),
});
export type AgentInterfaces = z.infer<typeof agentInterfacesSchema>;

/** Validates an API answer, or throws a CmdbError naming the request and the JSON path that was wrong. */
export function parseAnswer<S extends z.ZodType>(schema: S, data: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.map((step) => (typeof step === "number" ? `[${step}]` : `.${String(step)}`)).join("");
  throw new CmdbError(`unexpected answer at $.data${path}: ${issue.message}`, {
    where,
    hint: "the Proxmox VE API answered in a shape this version of cmdb does not know",
  });
}
