import { z } from "zod";
import { CmdbError } from "../../util/errors.js";

/** Numbers that some platforms report as strings ("4", "NA"). */
const count = z.union([z.number(), z.string()]).optional();
const text = z.string().optional();

const address = z.object({ address: z.string() }).loose();

export const interfaceFactsSchema = z
  .object({
    device: text,
    macaddress: text,
    perm_macaddress: text,
    type: text,
    pciid: text,
    active: z.boolean().optional(),
    ipv4: address.optional(),
    ipv4_secondaries: z.array(address).optional(),
    ipv6: z.array(address).optional(),
    interfaces: z.array(z.string()).optional(),
  })
  .loose();

export const deviceFactsSchema = z.object({ sectors: count, virtual: z.union([z.number(), z.boolean()]).optional() }).loose();

/** The facts the transform reads, without their `ansible_` prefix; everything else is ignored, never stored. */
export const factsSchema = z
  .object({
    hostname: text,
    nodename: text,
    fqdn: text,
    distribution: text,
    distribution_version: text,
    distribution_major_version: text,
    distribution_release: text,
    os_family: text,
    kernel: text,
    architecture: text,
    processor: z.array(z.union([z.string(), z.number()])).optional(),
    processor_vcpus: count,
    processor_count: count,
    memtotal_mb: count,
    swaptotal_mb: count,
    devices: z.record(z.string(), deviceFactsSchema).optional(),
    interfaces: z.array(z.string()).optional(),
    machine_id: text,
    product_serial: text,
    product_uuid: text,
    system_vendor: text,
    product_name: text,
    virtualization_type: text,
    virtualization_role: text,
    uptime_seconds: count,
    service_mgr: text,
    pkg_mgr: text,
    python_version: text,
  })
  .loose();

export type Facts = z.infer<typeof factsSchema>;
export type InterfaceFacts = z.infer<typeof interfaceFactsSchema>;

/**
 * The facts dict of `ansible -m setup` output (`{"ansible_facts": {…}}`), of a jsonfile fact-cache
 * file or of `ansible --tree`, with the `ansible_` prefix removed (`ansible_facts['distribution']`
 * inside a play has none): one shape for the transform.
 */
export function parseFacts(document: unknown, where: string): Record<string, unknown> {
  const outer = z.record(z.string(), z.unknown()).safeParse(document);
  if (!outer.success) throw new CmdbError("expected a JSON object of Ansible facts", { where, hint: "give `ansible -m setup` output, or a jsonfile fact cache" });
  const wrapped = outer.data.ansible_facts;
  const raw = wrapped === undefined ? outer.data : wrapped;
  const dict = z.record(z.string(), z.unknown()).safeParse(raw);
  if (!dict.success) throw new CmdbError("`ansible_facts` is not an object", { where: `${where}: ansible_facts` });
  const facts: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(dict.data)) {
    const bare = name.startsWith("ansible_") ? name.slice("ansible_".length) : name;
    if (!(bare in facts) || name !== bare) facts[bare] = value;
  }
  if (!["hostname", "nodename", "machine_id", "distribution", "system", "kernel"].some((k) => typeof facts[k] === "string")) {
    throw new CmdbError("no Ansible facts found (none of ansible_hostname, ansible_nodename, ansible_machine_id, ansible_distribution, ansible_system, ansible_kernel)", {
      where,
      hint: "give `ansible -m setup` output, or a jsonfile fact cache",
    });
  }
  const checked = factsSchema.safeParse(facts);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new CmdbError(`unexpected fact value: ${issue.message}`, { where: `${where}: ansible_${issue.path.join(".")}` });
  }
  return facts;
}
