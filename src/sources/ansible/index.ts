/**
 * Ansible: inventories (INI, YAML/JSON, directories with group_vars/ and host_vars/) read exactly as
 * ansible-core's `ansible-inventory` does, facts (`ansible -m setup`, fact caches) and playbook runs
 * (the callback plugin's document). The code loads on first use (source.ts). See README.md.
 */
import type { SourceDefinition } from "../contract.js";

export const ansibleSource = {
  name: "ansible",
  description: "ingest an Ansible inventory: hosts, groups (ansible_group CIs) and MEMBER_OF edges, variables redacted",
  reads: "files",
  env: {},
  records: [
    { name: "ansible", scopes: "ansible:<inventory path>, ansible:<a> + <b> for several -i", precedence: 70 },
    { name: "ansible-facts", scopes: "ansible-facts:<absolute path>, or --scope NAME", precedence: 40, live: true },
    { name: "ansible-playbook", scopes: "ansible-playbook:<playbook path>", precedence: 50 },
  ],
  options: [{ flags: "-i, --inventory <path>", description: "inventory file, directory or host list (repeatable; several form one inventory, as in Ansible)", value: "list" }],
  output: "runs",
  commands: [
    {
      name: "ansible-facts",
      description: "ingest Ansible facts: `ansible -m setup` output (file or -), or a jsonfile fact-cache / --tree directory",
      argument: { name: "<path>", description: "facts JSON file, - for stdin, or a directory with one file per host" },
      options: [
        { flags: "--host <name>", description: "the inventory host name of a single facts file (default: the facts' host name)" },
        { flags: "--prefix <prefix>", description: "fact_caching_prefix of the cache directory" },
        { flags: "--scope <name>", description: "scope name instead of the path (e.g. when reading stdin)" },
      ],
      output: "runs",
    },
    {
      name: "ansible-playbook",
      description: "ingest one playbook run as written by the gitops_cmdb.cmdb.cmdb callback plugin (file or - for stdin)",
      argument: { name: "[report]", description: "the callback's JSON document", default: "-" },
      options: [],
      output: "runs",
    },
  ],
  load: async () => (await import("./source.js")).implementation,
} as const satisfies SourceDefinition;
