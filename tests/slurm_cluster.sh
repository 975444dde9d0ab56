#!/bin/sh
# slurm_cluster.sh: a single-node SLURM for the tests, from Debian's packages, with no munge
# (AuthType=auth/none) and no systemd: slurmctld and slurmd run in the background with their state,
# spool, logs and pid files under a temporary directory, on ports of their own.
#   . tests/slurm_cluster.sh; slurm_start DIR; ...; slurm_stop     (stops only what it started)
slurm_install() {
    if command -v slurmctld >/dev/null 2>&1 && command -v slurmd >/dev/null 2>&1 &&
        command -v sbatch >/dev/null 2>&1; then
        return 0
    fi
    [ "$(id -u)" -eq 0 ] || { echo "slurm: packages missing and not root"; return 1; }
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client >/dev/null 2>&1 ||
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client >/dev/null; }
}

slurm_start() {
    SLURM_DIR=$1
    mkdir -p "$SLURM_DIR/state" "$SLURM_DIR/spool" "$SLURM_DIR/log" "$SLURM_DIR/tmp"
    port=$((17000 + $$ % 900 * 2))
    cat > "$SLURM_DIR/slurm.conf" <<CONF
ClusterName=gseqtest
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=$(id -un)
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
JobRequeue=1
MinJobAge=600
# job ids and the PMIx plugin's directories of their own: an earlier cluster's leftover
# /tmp/spmix_appdir_<uid>_<job>.<step> makes a step with the same id fail to launch
FirstJobId=$((1000 + $$ % 100000 * 10))
TmpFS=$SLURM_DIR/tmp
NodeName=localhost CPUs=2 RealMemory=16000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$SLURM_DIR/slurm.conf"
    slurmctld || return 1
    slurmd || return 1
    i=0
    while [ $i -lt 100 ]; do
        sinfo -h -o %t 2>/dev/null | grep -q idle && return 0
        sleep 0.2
        i=$((i + 1))
    done
    echo "slurm: the node did not come up"; tail -5 "$SLURM_DIR"/log/*.log
    return 1
}

slurm_stop() {
    for d in slurmd slurmctld; do
        [ -f "$SLURM_DIR/$d.pid" ] && kill "$(cat "$SLURM_DIR/$d.pid")" 2>/dev/null
    done
    sleep 0.5
    for d in slurmd slurmctld; do
        [ -f "$SLURM_DIR/$d.pid" ] && kill -9 "$(cat "$SLURM_DIR/$d.pid")" 2>/dev/null
    done
    return 0
}

# job_state ID: PENDING, RUNNING, COMPLETED, FAILED, ...
job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
