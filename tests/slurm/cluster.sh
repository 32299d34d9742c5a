#!/usr/bin/env bash
# A real one-machine Slurm cluster for the tests: `up` installs Debian's
# slurm-wlm and munge if missing, writes a minimal slurm.conf for this
# machine (one controller, one slurmd with this machine's cores), starts
# munged, slurmctld and slurmd and waits until the node is idle; `down`
# stops what `up` started (daemons that were running before are left alone).
# A slurm.conf this script did not write is never touched.
set -euo pipefail

CONF=/etc/slurm/slurm.conf
STARTED=/run/dissect-cluster.started
MARK="# written by dissect's tests/slurm/cluster.sh"

say() { echo "cluster: $*" >&2; }

install() {
  if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    say "installing slurm-wlm and munge"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
  fi
}

write_conf() {
  if [ -e "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
    say "$CONF exists and is not ours; leaving it (and this cluster) alone"
    exit 1
  fi
  local host node
  host=$(hostname -s)
  # slurmd -C reports this machine as Slurm sees it: cores, sockets, memory.
  node=$(slurmd -C | head -n 1 | sed -E "s/^NodeName=[^ ]+/NodeName=$host/")
  mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
  cat >"$CONF" <<CONF
$MARK
ClusterName=dissect
SlurmctldHost=$host
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
SchedulerType=sched/backfill
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge=120
KillWait=5
$node State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
}

up() {
  install
  write_conf
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
    chmod 400 /etc/munge/munge.key
  fi
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  for d in munged slurmctld slurmd; do
    if ! pgrep -x "$d" >/dev/null; then
      if [ "$d" = munged ]; then munged --force; else "$d"; fi
      echo "$d" >>"$STARTED"
    fi
  done
  local host
  host=$(hostname -s)
  for _ in $(seq 1 60); do
    state=$(sinfo -h -n "$host" -o %t 2>/dev/null || true)
    case "$state" in
      idle | mix | alloc) say "up: node $host is $state"; return 0 ;;
      down* | drain*) scontrol update nodename="$host" state=resume 2>/dev/null || true ;;
    esac
    sleep 1
  done
  say "the node did not become idle within 60 s; see /var/log/slurm/"
  tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
  return 1
}

down() {
  if [ ! -s "$STARTED" ]; then
    say "nothing to stop: this script started no daemon"
    return 0
  fi
  local started
  started=$(sort -u "$STARTED")
  rm -f "$STARTED"
  for d in $started; do pkill -x "$d" 2>/dev/null || true; done
  for _ in $(seq 1 20); do
    local alive=""
    for d in $started; do pgrep -x "$d" >/dev/null && alive="$alive $d"; done
    [ -z "$alive" ] && { say "down"; return 0; }
    sleep 0.5
  done
  for d in $started; do pkill -9 -x "$d" 2>/dev/null || true; done
  say "down (after SIGKILL)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
