# -*- coding: utf-8 -*-
# Copyright: gitops-cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: cmdb
short_description: hosts and groups from gitops-cmdb
description:
  - Runs C(cmdb ansible inventory --list) and adds the CMDB's active machines (servers, virtual machines,
    containers, hypervisor nodes) with their default groups C(type_<type>), C(env_<environment>),
    C(provider_<provider>), C(tag_<key>_<value>), C(source_<source>), and the host variables
    C(cmdb_id), C(cmdb_type), C(cmdb_status), C(cmdb_provider), C(cmdb_environment), C(cmdb_tags),
    C(cmdb_sources) and C(ansible_host) (the CI's address or FQDN when known).
  - The configuration file name must end with C(.cmdb.yml) or C(.cmdb.yaml).
extends_documentation_fragment:
  - constructed
options:
  plugin:
    description: The name of this plugin.
    required: true
    choices: ["gitops_cmdb.cmdb.cmdb"]
  executable:
    description: The cmdb program to run.
    type: str
    default: cmdb
    env:
      - name: CMDB_INVENTORY_EXECUTABLE
  args:
    description: Arguments put before C(ansible inventory --list), e.g. C([/src/gitops-cmdb/dist/cli.js]) with C(executable=node).
    type: list
    elements: str
    default: []
  db:
    description: The CMDB to read (a PGlite directory or a postgres:// URL), passed as C(--db). Default is cmdb's own (C(CMDB_DATABASE_URL), else C(./.cmdb)).
    type: str
    env:
      - name: CMDB_DATABASE_URL
  timeout:
    description: Seconds cmdb may take.
    type: float
    default: 60
"""

EXAMPLES = r"""
# inventory/prod.cmdb.yml
plugin: gitops_cmdb.cmdb.cmdb
db: postgres://cmdb@cmdb.internal/cmdb
keyed_groups:
  - key: cmdb_tags.role | default('none')
    prefix: role
compose:
  ansible_user: "'debian' if cmdb_type == 'virtual_machine' else 'root'"
groups:
  k3s: "'k3s' in cmdb_tags"
"""

import json
import subprocess

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable


class InventoryModule(BaseInventoryPlugin, Constructable):
    NAME = "gitops_cmdb.cmdb.cmdb"

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith((".cmdb.yml", ".cmdb.yaml"))

    def _read_cmdb(self):
        command = [self.get_option("executable")] + list(self.get_option("args") or [])
        if self.get_option("db"):
            command += ["--db", self.get_option("db")]
        command += ["ansible", "inventory", "--list"]
        try:
            done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=float(self.get_option("timeout")))
        except (OSError, subprocess.TimeoutExpired) as error:
            raise AnsibleParserError("cannot run %s: %s" % (command[0], to_native(error)))
        if done.returncode != 0:
            raise AnsibleParserError("cmdb ansible inventory failed (exit %d): %s" % (done.returncode, to_native(done.stderr).strip()))
        try:
            data = json.loads(to_text(done.stdout))
        except ValueError as error:
            raise AnsibleParserError("cmdb ansible inventory printed no JSON: %s" % to_native(error))
        if not isinstance(data, dict) or not isinstance(data.get("_meta", {}).get("hostvars"), dict):
            raise AnsibleParserError("cmdb ansible inventory printed JSON without _meta.hostvars")
        return data

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        data = self._read_cmdb()
        hostvars = data["_meta"]["hostvars"]
        for group, entry in sorted(data.items()):
            if group in ("_meta", "all", "ungrouped") or not isinstance(entry, dict):
                continue
            self.inventory.add_group(group)
            for host in entry.get("hosts", []):
                self.inventory.add_host(host, group=group)
        strict = self.get_option("strict")
        for host in sorted(hostvars):
            self.inventory.add_host(host)
            variables = hostvars[host]
            for name, value in variables.items():
                self.inventory.set_variable(host, name, value)
            self._set_composite_vars(self.get_option("compose"), variables, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), variables, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, host, strict=strict)
