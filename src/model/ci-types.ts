/**
 * The registry of CI types. A source maps what it sees onto one of these; anything it cannot map
 * becomes `generic` with its original kind kept in the `kind` attribute, so nothing is dropped.
 */
export const CI_TYPES = {
  server: { label: "Server", class: "compute" },
  virtual_machine: { label: "Virtual machine", class: "compute" },
  container: { label: "Container", class: "compute" },
  hypervisor_node: { label: "Hypervisor node", class: "compute" },
  cluster: { label: "Cluster", class: "group" },
  vpc: { label: "VPC / virtual network", class: "network" },
  subnet: { label: "Subnet", class: "network" },
  security_group: { label: "Security group / firewall", class: "network" },
  network_interface: { label: "Network interface", class: "network" },
  network_bridge: { label: "Network bridge", class: "network" },
  ip_address: { label: "IP address", class: "network" },
  block_storage: { label: "Block storage volume", class: "storage" },
  storage_pool: { label: "Storage pool", class: "storage" },
  object_storage: { label: "Object storage bucket", class: "storage" },
  database: { label: "Database", class: "service" },
  load_balancer: { label: "Load balancer", class: "network" },
  dns_record: { label: "DNS record", class: "network" },
  dns_zone: { label: "DNS zone", class: "network" },
  service: { label: "Service", class: "service" },
  software: { label: "Software", class: "service" },
  credential: { label: "Credential", class: "security" },
  certificate: { label: "Certificate", class: "security" },
  iam_role: { label: "IAM role / identity", class: "security" },
  terraform_workspace: { label: "Terraform workspace", class: "management" },
  ansible_group: { label: "Ansible group", class: "management" },
  generic: { label: "Other", class: "other" },
} as const;

export type CiType = keyof typeof CI_TYPES;

export function isCiType(value: string): value is CiType {
  return Object.hasOwn(CI_TYPES, value);
}

/** Types that describe a machine: observations of the same machine from different sources may
 * carry different ones of these (Ansible knows "a host", Proxmox knows "a VM"). */
export const MACHINE_TYPES: ReadonlySet<CiType> = new Set(["server", "virtual_machine", "container", "hypervisor_node"]);

/** Whether a CI of type `existing` may absorb an observation of type `incoming`. */
export function typesCompatible(existing: CiType, incoming: CiType): boolean {
  if (existing === incoming || existing === "generic" || incoming === "generic") return true;
  return MACHINE_TYPES.has(existing) && MACHINE_TYPES.has(incoming);
}

/** How specific a type is, to choose the CI's type when sources disagree: a generic host loses to a VM. */
export function typeSpecificity(type: CiType): number {
  if (type === "generic") return 0;
  if (type === "server") return 1;
  return 2;
}
