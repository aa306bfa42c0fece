/**
 * The shared attribute vocabulary. Sources keep their own raw values too, but write what they know
 * of a machine under these names, so that precedence can choose between them per attribute and
 * drift can compare declared with observed. Units are in the names.
 */
export interface MachineAttributes {
  hostname?: string;
  fqdn?: string;
  os_name?: string;
  os_version?: string;
  os_family?: string;
  kernel?: string;
  architecture?: string;
  cpu_cores?: number;
  cpu_sockets?: number;
  cpu_model?: string;
  memory_mb?: number;
  disks?: { name: string; size_gb?: number; storage?: string }[];
  interfaces?: { name: string; mac?: string; ips?: string[]; bridge?: string }[];
  ip_addresses?: string[];
  mac_addresses?: string[];
  machine_id?: string;
  serial?: string;
  smbios_uuid?: string;
  virtualization_type?: string;
  virtualization_role?: string;
  uptime_seconds?: number;
  listening_ports?: { port: number; protocol: "tcp"; address: string; process?: string }[];
  services?: string[];
  /** The source's view of the thing's run state: running, stopped, paused, tainted, … */
  state?: string;
}

/** Key schemes, in one place so that every source spells them the same. */
export const KEY = {
  awsInstance: "aws.instance",
  awsVpc: "aws.vpc",
  awsSubnet: "aws.subnet",
  awsSecurityGroup: "aws.sg",
  awsVolume: "aws.volume",
  awsEni: "aws.eni",
  awsArn: "aws.arn",
  awsS3: "aws.s3",
  awsRoute53: "aws.route53",
  awsEip: "aws.eip",
  proxmoxVm: "proxmox.vm",
  proxmoxVmid: "proxmox.vmid",
  proxmoxNode: "proxmox.node",
  proxmoxCluster: "proxmox.cluster",
  proxmoxStorage: "proxmox.storage",
  mac: "mac",
  machineId: "machine-id",
  serial: "serial",
  smbiosUuid: "smbios.uuid",
  hostname: "hostname",
  fqdn: "fqdn",
  ip: "ip",
  terraform: "terraform",
  terraformWorkspace: "terraform.workspace",
  ansibleGroup: "ansible.group",
} as const;

/** Serial numbers that firmware fills in when there is none; never an identity. */
export function isJunkSerial(serial: string): boolean {
  const s = serial.trim().toLowerCase();
  return (
    s.length < 3 ||
    /^(0+|none|n\/a|na|not specified|not available|to be filled by o\.e\.m\.|default string|system serial number|chassis serial number|123456789|unknown|invalid|null)$/.test(s)
  );
}
