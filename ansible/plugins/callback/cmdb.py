# -*- coding: utf-8 -*-
# Copyright: gitops-cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: cmdb
type: notification
short_description: record each playbook run in gitops-cmdb
description:
  - At the end of a playbook, hands one JSON document to C(cmdb ingest ansible-playbook -) describing the run
    (playbook, start and end time, the hosts touched with their ok/changed/failed/unreachable/skipped counts,
    and the facts gathered by setup / gather_facts).
  - Never fails or stops the playbook. When cmdb cannot be run or fails, the document is kept in a spool
    directory and sent before the next run's document.
  - Module arguments and results are never sent; of the facts, environment variables, kernel command lines,
    local facts and anything named like a secret are dropped.
requirements:
  - the gitops-cmdb CLI (C(cmdb)) on the controller
options:
  executable:
    description: The cmdb program to run.
    default: cmdb
    type: str
    ini:
      - section: callback_cmdb
        key: executable
    env:
      - name: CMDB_CALLBACK_EXECUTABLE
  args:
    description:
      - Arguments put before C(ingest ansible-playbook -), split like a shell would,
        e.g. C(--db postgres://cmdb@db/cmdb) or, to run a checkout, C(/src/gitops-cmdb/dist/cli.js --db .cmdb) with C(executable=node).
    default: ""
    type: str
    ini:
      - section: callback_cmdb
        key: args
    env:
      - name: CMDB_CALLBACK_ARGS
  spool_dir:
    description: Where documents that could not be sent wait for the next run.
    default: ~/.cache/cmdb/spool
    type: path
    ini:
      - section: callback_cmdb
        key: spool_dir
    env:
      - name: CMDB_CALLBACK_SPOOL_DIR
  timeout:
    description: Seconds one cmdb call may take before it is abandoned (and its document spooled).
    default: 20
    type: float
    ini:
      - section: callback_cmdb
        key: timeout
    env:
      - name: CMDB_CALLBACK_TIMEOUT
"""

import json
import os
import re
import shlex
import subprocess
import tempfile
import time
import uuid
from datetime import datetime, timezone

from ansible import context
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.callback import CallbackBase
from ansible.release import __version__ as ansible_version

FORMAT = "gitops-cmdb.ansible-playbook.v1"
FACT_ACTIONS = frozenset(("setup", "gather_facts", "ansible.builtin.setup", "ansible.builtin.gather_facts", "ansible.legacy.setup", "ansible.legacy.gather_facts"))
# Facts that may carry secrets: the environment, kernel command lines, local (custom) facts.
DROPPED_FACTS = frozenset(("env", "cmdline", "proc_cmdline", "local"))
SECRET_NAME = re.compile(r"pass(word|wd|phrase)?|secret|token|private[_-]?key|api[_-]?key|credential|cookie|bearer", re.IGNORECASE)
STAT_NAMES = ("ok", "changed", "failures", "unreachable", "skipped", "rescued", "ignored")


def _now():
    return datetime.now(timezone.utc).isoformat()


def _clean_facts(facts):
    out = {}
    for name, value in facts.items():
        bare = name[len("ansible_"):] if name.startswith("ansible_") else name
        if bare in DROPPED_FACTS or bare.startswith("_") or SECRET_NAME.search(bare):
            continue
        out["ansible_" + bare] = value
    return out


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "gitops_cmdb.cmdb.cmdb"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None, options=None):
        super(CallbackModule, self).__init__(display=display, options=options)
        self._playbook = None
        self._started = _now()
        self._plays = []
        self._facts = {}
        self._ansible_hosts = {}
        self._variable_manager = None

    # Any exception escaping a callback method would only be a warning in Ansible, but a noisy one with a
    # traceback: every method guards itself and says in one line what went wrong.
    def _guard(self, what, fn, *args):
        try:
            fn(*args)
        except Exception as error:  # noqa: BLE001 - the playbook must never fail because of the CMDB
            self._display.warning("cmdb callback: %s failed: %s" % (what, to_text(error)))

    def v2_playbook_on_start(self, playbook):
        self._guard("start", self._on_start, playbook)

    def _on_start(self, playbook):
        self._started = _now()
        self._playbook = os.path.abspath(to_text(playbook._file_name))

    def v2_playbook_on_play_start(self, play):
        self._guard("play start", self._on_play_start, play)

    def _on_play_start(self, play):
        self._plays.append(to_text(play.get_name()))
        self._variable_manager = play.get_variable_manager()

    def v2_runner_on_ok(self, result):
        self._guard("facts", self._on_ok, result)

    def _on_ok(self, result):
        if result._task.action not in FACT_ACTIONS:
            return
        facts = result._result.get("ansible_facts")
        if isinstance(facts, dict):
            self._facts.setdefault(result._host.get_name(), {}).update(_clean_facts(facts))

    def v2_playbook_on_stats(self, stats):
        self._guard("report", self._on_stats, stats)

    def _ansible_host(self, name):
        inventory = getattr(self._variable_manager, "_inventory", None)
        host = inventory.get_host(name) if inventory is not None else None
        value = host.vars.get("ansible_host") if host is not None else None
        if isinstance(value, str) and "{{" not in value:
            return value
        return None

    def _on_stats(self, stats):
        hosts = {}
        for name in sorted(stats.processed.keys()):
            summary = stats.summarize(name)
            entry = {"stats": dict((k, int(summary.get(k, 0))) for k in STAT_NAMES)}
            ansible_host = self._ansible_host(name)
            if ansible_host:
                entry["ansible_host"] = ansible_host
            if self._facts.get(name):
                entry["facts"] = self._facts[name]
            hosts[name] = entry
        document = {
            "format": FORMAT,
            "playbook": self._playbook or "",
            "cwd": os.getcwd(),
            "started": self._started,
            "ended": _now(),
            "ansible_version": ansible_version,
            "check_mode": bool(context.CLIARGS.get("check", False)),
            "limit": context.CLIARGS.get("subset") or None,
            "plays": self._plays,
            "hosts": hosts,
        }
        self._deliver(document)

    # Delivery: spooled documents first (oldest first), then this run's. If a spooled one fails, this
    # run's is still tried: when it goes through, the CMDB works and the spooled document is what cmdb
    # refuses, so it moves to rejected/ instead of blocking every later run.
    def _deliver(self, document):
        spool = os.path.expanduser(self.get_option("spool_dir"))
        stuck = None
        for path in self._spooled(spool):
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError:
                continue
            error = self._send(data)
            if error is None:
                os.unlink(path)
                continue
            stuck = (path, error)
            break
        data = json.dumps(document, sort_keys=True, default=to_text).encode("utf-8")
        error = self._send(data)
        if error is None:
            if stuck is not None:
                rejected = os.path.join(spool, "rejected")
                os.makedirs(rejected, mode=0o700, exist_ok=True)
                os.replace(stuck[0], os.path.join(rejected, os.path.basename(stuck[0])))
                self._display.warning("cmdb callback: cmdb refused the spooled report %s (%s); moved to %s" % (stuck[0], stuck[1], rejected))
            return
        document["spooled"] = True
        path = self._spool(spool, json.dumps(document, sort_keys=True, default=to_text).encode("utf-8"))
        self._display.warning("cmdb callback: could not record the run in the CMDB (%s); kept %s for the next run" % (error, path))

    def _command(self):
        return [self.get_option("executable")] + shlex.split(self.get_option("args") or "") + ["ingest", "ansible-playbook", "-"]

    def _send(self, data):
        """None when cmdb took the document, else one line saying why not."""
        try:
            done = subprocess.run(self._command(), input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=float(self.get_option("timeout")))
        except subprocess.TimeoutExpired:
            return "cmdb did not answer within %ss" % self.get_option("timeout")
        except OSError as error:
            return "cannot run %s: %s" % (self.get_option("executable"), to_text(error))
        if done.returncode != 0:
            lines = to_text(done.stderr).strip().splitlines()
            return "cmdb exited %d: %s" % (done.returncode, lines[-1] if lines else "no message")
        return None

    @staticmethod
    def _spooled(spool):
        try:
            names = sorted(n for n in os.listdir(spool) if n.endswith(".json"))
        except OSError:
            return []
        return [os.path.join(spool, n) for n in names]

    @staticmethod
    def _spool(spool, data):
        os.makedirs(spool, mode=0o700, exist_ok=True)
        name = "%s-%s.json" % (time.strftime("%Y%m%dT%H%M%S", time.gmtime()), uuid.uuid4().hex[:8])
        handle, tmp = tempfile.mkstemp(dir=spool, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(tmp, os.path.join(spool, name))
        return os.path.join(spool, name)
