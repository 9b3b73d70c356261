#!/bin/sh
# Entry point of the grading worker containers (docker-compose.yml): make this container's
# cgroup mounts writable, then run the worker. Docker mounts them read-only unless the container
# is privileged; the sandbox makes one cgroup per job under the worker's own group (see
# grading/sandbox/cgroups.py) and refuses to grade where it cannot. Only the per-mount read-only
# flag of this container's own mounts changes (the worker has CAP_SYS_ADMIN for the sandbox's
# namespaces anyway); with `cgroup: private` those mounts show the container's group alone.
set -eu
awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup" || $(i + 1) == "cgroup2") print $5; break } }' /proc/self/mountinfo |
while read -r mountpoint; do
    mount -o remount,bind,rw "$mountpoint"
done
exec "$@"
