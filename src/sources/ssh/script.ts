/**
 * The one POSIX sh script a host runs (fed on stdin to `sh -s`, so the login shell does not matter).
 * Each section starts with a `@@cmdb:<name>` line; `@@cmdb:end` proves the output is whole. Every
 * command has a fallback for hosts without it (busybox on Alpine, minimal images): the transform
 * reads whichever section is present. Errors go to /dev/null: a missing tool is an absent section,
 * not a failure. LC_ALL=C keeps tool output in the shapes the transform parses.
 */
export const SECTION_MARK = "@@cmdb:";

export const COLLECT_SCRIPT = `export LC_ALL=C LANG=C
PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"
has() { command -v "$1" >/dev/null 2>&1; }
s() { printf '\\n${SECTION_MARK}%s\\n' "$1"; }
# Reads a one-line file with the shell's own read: sysfs has dozens of them and a cat per file costs a fork.
rd() { _v=; { read -r _v <"$1"; } 2>/dev/null || [ -n "$_v" ]; }
s hostname; hostname 2>/dev/null || cat /proc/sys/kernel/hostname
s fqdn; hostname -f 2>/dev/null
s os-release; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
s uname; uname -r; uname -m
s cpuinfo; grep -E '^(processor|model name|physical id|Hardware|cpu model|Model|vendor_id)[[:space:]]*:' /proc/cpuinfo 2>/dev/null
s meminfo; grep -E '^(MemTotal|SwapTotal):' /proc/meminfo 2>/dev/null
if has lsblk; then s lsblk; lsblk -bdnP -o NAME,SIZE,TYPE,ROTA 2>/dev/null; fi
s sys-block; for d in /sys/block/*; do rd "$d/size" || continue; z=$_v; rd "$d/queue/rotational"; printf '%s %s %s\\n' "\${d##*/}" "$z" "$_v"; done
if has ip; then s ip-link; ip -o link 2>/dev/null; s ip-addr; ip -o addr 2>/dev/null; fi
s sys-net; for d in /sys/class/net/*; do rd "$d/address" || continue; a=$_v; rd "$d/addr_assign_type"; t=$_v; rd "$d/type"; y=$_v; rd "$d/bonding_slave/perm_hwaddr"; p=$_v; m=; [ -L "$d/master" ] && m=$(readlink "$d/master") && m=\${m##*/}; dv=0; [ -e "$d/device" ] && dv=1; br=0; [ -d "$d/bridge" ] && br=1; printf '%s|%s|%s|%s|%s|%s|%s|%s\\n' "\${d##*/}" "$a" "$t" "$dv" "$y" "$m" "$br" "$p"; done
s machine-id; cat /etc/machine-id 2>/dev/null || cat /var/lib/dbus/machine-id 2>/dev/null
s dmi; for f in product_serial product_uuid sys_vendor product_name chassis_serial board_serial; do rd "/sys/class/dmi/id/$f"; printf '%s=%s\\n' "$f" "$_v"; done
if has systemd-detect-virt; then s virt; systemd-detect-virt 2>/dev/null; fi
s virt-hints
[ -e /.dockerenv ] && echo dockerenv=1
[ -e /run/.containerenv ] && echo containerenv=1
(tr '\\0' '\\n' </proc/1/environ) 2>/dev/null | grep '^container='
grep -qw hypervisor /proc/cpuinfo 2>/dev/null && echo cpuflag=hypervisor
[ -e /proc/xen ] && echo xen=1
if has ss; then s ss; ss -ltnp 2>/dev/null
elif has netstat; then s netstat; netstat -ltnp 2>/dev/null || netstat -ltn 2>/dev/null
fi
s proc-tcp; cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$4 == "0A" { print $2 }'
if [ -d /run/systemd/system ] && has systemctl; then s systemd; systemctl list-units --type=service --state=running --no-legend --plain --no-pager 2>/dev/null
elif has rc-status; then s openrc; rc-status -s 2>/dev/null
fi
s uptime; cat /proc/uptime 2>/dev/null
s end
`;
