"""A real single-node SLURM cluster for the tests, started from Debian's packages and stopped
again, leaving nothing running: munge (authentication), MariaDB (the accounting database,
private to the cluster), slurmdbd (accounting: the Snakemake SLURM plugin follows jobs through
sacct), slurmctld and one slurmd for this machine. Every file, port and daemon is the cluster's
own (a temporary directory, free ports), so it disturbs nothing else on the machine.

`.ci/run` installs the packages where they are missing; starting them needs root, so elsewhere
`SlurmCluster.unavailable()` says why the tests are skipped.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

DAEMONS = ("munged", "mariadbd", "mariadb-install-db", "slurmdbd", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "srun", "sacct", "sacctmgr", "squeue", "scontrol", "scancel", "sinfo")
CLUSTER = "sovereign"
ACCOUNT = "sovereign"
PARTITION = "main"
SBIN = ("/usr/sbin", "/usr/bin", "/sbin", "/bin")


def _which(name: str) -> str | None:
    return shutil.which(name) or next(
        (f"{d}/{name}" for d in SBIN if os.access(f"{d}/{name}", os.X_OK)), None
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(check, what: str, timeout: float = 60.0, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise RuntimeError(f"SLURM test cluster: {what} did not come up in {timeout:.0f} s\n{tail}")


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class SlurmCluster:
    """`with SlurmCluster(directory) as cluster:` a running cluster; `cluster.env` is what a
    command needs to use it (SLURM_CONF), `cluster.run(...)` runs a SLURM command."""

    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.node = socket.gethostname()
        self.processes: list[tuple[str, subprocess.Popen]] = []
        # The config is found through SLURM_CONF; but the SLURM plugin's job step drops every
        # SLURM_* variable before it calls srun (a real site keeps its config where srun looks
        # without one, /etc/slurm), so a shim first on PATH gives srun this cluster's config.
        self.bin = self.dir / "bin"
        self.env = {
            **os.environ,
            "SLURM_CONF": str(self.dir / "slurm.conf"),
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
        }

    @staticmethod
    def unavailable() -> str | None:
        """Why a cluster cannot be started here (None when it can)."""
        if os.geteuid() != 0:
            return "starting a SLURM cluster needs root (its daemons run as root here)"
        missing = [n for n in (*DAEMONS, *CLIENTS) if _which(n) is None]
        if missing:
            return (
                f"SLURM is not installed ({', '.join(missing)} missing): apt-get install "
                "slurm-wlm slurmdbd munge mariadb-server (.ci/run does)"
            )
        return None

    # --- start and stop ------------------------------------------------------------------------

    def __enter__(self) -> SlurmCluster:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _spawn(self, name: str, args: list[str], log: Path) -> subprocess.Popen:
        handle = open(log, "ab")  # noqa: SIM115  (the daemon's own log; closed with it)
        process = subprocess.Popen(
            args,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
        )
        handle.close()
        self.processes.append((name, process))
        return process

    def _start(self) -> None:
        d = self.dir
        for sub in ("munge", "db", "state", "spool", "log", "bin"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        shim = self.bin / "srun"
        shim.write_text(f'#!/bin/sh\nSLURM_CONF={d / "slurm.conf"} exec {_which("srun")} "$@"\n')
        shim.chmod(0o755)
        self.db_port, self.dbd_port = _free_port(), _free_port()
        self.ctld_port, self.slurmd_port = _free_port(), _free_port()
        self.munge_socket = d / "munge" / "munge.socket"

        self._spawn(
            "munged",
            [
                _which("munged"),
                "--foreground",
                "--force",
                f"--socket={self.munge_socket}",
                f"--pid-file={d / 'munge' / 'munged.pid'}",
                f"--seed-file={d / 'munge' / 'munged.seed'}",
                f"--log-file={d / 'log' / 'munged.log'}",
                "--key-file=/etc/munge/munge.key",
            ],
            d / "log" / "munged.out",
        )
        _wait(self.munge_socket.exists, "munged", log=d / "log" / "munged.log")

        subprocess.run(
            [
                _which("mariadb-install-db"),
                f"--datadir={d / 'db'}",
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            check=True,
            capture_output=True,
            env=self.env,
        )
        self._spawn(
            "mariadbd",
            [
                _which("mariadbd"),
                "--no-defaults",
                f"--datadir={d / 'db'}",
                "--user=root",
                "--bind-address=127.0.0.1",
                f"--port={self.db_port}",
                f"--socket={d / 'db' / 'mysqld.sock'}",
                f"--pid-file={d / 'db' / 'mysqld.pid'}",
                "--skip-grant-tables",
                "--innodb-buffer-pool-size=64M",
            ],
            d / "log" / "mariadb.log",
        )
        _wait(lambda: _port_open(self.db_port), "MariaDB", log=d / "log" / "mariadb.log")

        self._write_configs()
        self._spawn("slurmdbd", [_which("slurmdbd"), "-D", "-vv"], d / "log" / "slurmdbd.out")
        _wait(lambda: _port_open(self.dbd_port), "slurmdbd", log=d / "log" / "slurmdbd.log")
        for args in (
            ["add", "cluster", CLUSTER],
            ["add", "account", ACCOUNT, f"Cluster={CLUSTER}"],
            ["add", "user", "root", f"Account={ACCOUNT}", f"Cluster={CLUSTER}"],
        ):
            self.run("sacctmgr", "-i", *args)
        self._spawn(
            "slurmctld", [_which("slurmctld"), "-D", "-c", "-i"], d / "log" / "slurmctld.out"
        )
        _wait(lambda: _port_open(self.ctld_port), "slurmctld", log=d / "log" / "slurmctld.log")
        self._spawn("slurmd", [_which("slurmd"), "-D"], d / "log" / "slurmd.out")
        _wait(self.node_ready, "slurmd (node idle)", log=d / "log" / "slurmd.log")

    def _write_configs(self) -> None:
        d = self.dir
        munge = f"AuthInfo=socket={self.munge_socket}"
        cpus = os.cpu_count() or 1
        memory = _memory_mb() - 1024
        slurm = f"""\
ClusterName={CLUSTER}
SlurmctldHost={self.node}(127.0.0.1)
SlurmctldPort={self.ctld_port}
SlurmdPort={self.slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
{munge}
StateSaveLocation={d / "state"}
SlurmdSpoolDir={d / "spool"}
SlurmctldPidFile={d / "state" / "slurmctld.pid"}
SlurmdPidFile={d / "spool" / "slurmd.pid"}
SlurmctldLogFile={d / "log" / "slurmctld.log"}
SlurmdLogFile={d / "log" / "slurmd.log"}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=1
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort={self.dbd_port}
AccountingStoragePass={self.munge_socket}
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
AccountingStoreFlags=job_comment
InactiveLimit=0
KillWait=5
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
Waittime=0
NodeName={self.node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} State=UNKNOWN
PartitionName={PARTITION} Nodes={self.node} Default=YES MaxTime=INFINITE State=UP
"""
        dbd = f"""\
AuthType=auth/munge
{munge}
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort={self.dbd_port}
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort={self.db_port}
StorageUser=root
StorageLoc=slurm_acct_db
PidFile={d / "state" / "slurmdbd.pid"}
LogFile={d / "log" / "slurmdbd.log"}
"""
        (d / "slurm.conf").write_text(slurm)
        (d / "slurmdbd.conf").write_text(dbd)
        os.chmod(d / "slurmdbd.conf", 0o600)

    def stop(self) -> None:
        """Cancel every job, stop every daemon (last started first) and their job steps."""
        if any(name == "slurmctld" for name, p in self.processes if p.poll() is None):
            subprocess.run(
                [_which("scancel"), "--full", "--quiet", f"--partition={PARTITION}"],
                env=self.env,
                capture_output=True,
                check=False,
                timeout=30,
            )
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)
        self.processes.clear()
        # job steps outlive slurmd in their own sessions: none of this cluster's may stay
        subprocess.run(
            ["pkill", "-KILL", "-f", f"slurmstepd.*{self.dir}"], check=False, capture_output=True
        )

    # --- using it ------------------------------------------------------------------------------

    def run(self, command: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [_which(command), *args], env=self.env, capture_output=True, text=True, timeout=60
        )
        if check and proc.returncode != 0:
            raise RuntimeError(f"{command} {' '.join(args)}: {proc.stderr or proc.stdout}")
        return proc

    def job_pids(self, job_id: str) -> list[int]:
        """The processes of a running job (scontrol listpids: a header, then one line each,
        PID first), waiting until its job step has started."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            lines = self.run("scontrol", "listpids", job_id, check=False).stdout.splitlines()
            pids = [int(f[0]) for f in (line.split() for line in lines[1:]) if f and f[0].isdigit()]
            pids = [pid for pid in pids if pid > 1 and pid != os.getpid()]
            if pids:
                return pids
            time.sleep(0.3)
        raise AssertionError(f"job {job_id} has no processes")

    def node_ready(self) -> bool:
        out = self.run("sinfo", "-h", "-n", self.node, "-o", "%T", check=False).stdout
        return out.strip().rstrip("*") in ("idle", "mixed", "allocated")

    def jobs(self) -> list[dict[str, str]]:
        """Every job the cluster has run or runs (sacct): id, name, state, comment, elapsed."""
        out = self.run(
            "sacct",
            "-a",
            "-X",
            "-n",
            "-P",
            "-o",
            "JobID,JobName,State,Comment,Start,End,Timelimit",
            check=False,
        ).stdout
        keys = ("id", "name", "state", "comment", "start", "end", "timelimit")
        return [dict(zip(keys, line.split("|"), strict=False)) for line in out.splitlines()]


def _memory_mb() -> int:
    with open("/proc/meminfo", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    return 4096
