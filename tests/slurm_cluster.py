"""A throw-away one-node Slurm cluster for the workflow's integration tests.

`LocalSlurmCluster` writes a one-node ``slurm.conf``, a munge key and every daemon's
state, spool, pid and log file under one folder, starts ``munged``, ``slurmctld`` and
``slurmd`` in the foreground as children of the test process (so it knows exactly which
processes to stop) and waits, with a timeout, until ``sinfo`` reports the node idle.
Nothing is written under /etc: clients find the cluster through `LocalSlurmCluster.env`,
which sets ``SLURM_CONF`` and puts first on ``PATH`` a folder of wrappers (``srun``,
``sbatch``...) that set it again. The wrappers are needed because the Slurm executor's
job step drops every ``SLURM_*`` variable before it calls ``srun`` inside a job, so on a
cluster whose configuration is not at the default path /etc/slurm/slurm.conf that
``srun`` would find no configuration. The daemons need root; Debian's ``slurm-wlm`` and
``munge`` packages provide them (installed by ``bash .ci/setup --tests``).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from evoaugflow.io import write_text_atomic

#: Programs the cluster needs: daemons, and the clients the Slurm executor plugin calls.
REQUIRED_PROGRAMS = (
    "munged",
    "slurmctld",
    "slurmd",
    "srun",
    "sbatch",
    "squeue",
    "sinfo",
    "scontrol",
)
#: Client programs wrapped so that they find the cluster even without ``SLURM_CONF``.
CLIENT_PROGRAMS = ("srun", "sbatch", "squeue", "sinfo", "scontrol", "scancel")
#: Debian packages that provide `REQUIRED_PROGRAMS`.
DEBIAN_PACKAGES = ("slurm-wlm", "munge")
#: Name of the one partition; it is the cluster's default.
PARTITION = "debug"


class SlurmUnavailable(RuntimeError):
    """This machine cannot host a local Slurm cluster; the message says why."""


def _tail(path: Path, n_lines: int = 20) -> str:
    """Last ``n_lines`` lines of a log file, or a note that it does not exist."""
    if not path.exists():
        return f"({path} was not written)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-n_lines:])


def require_slurm_installed() -> None:
    """Check that the programs of Debian's ``slurm-wlm`` and ``munge`` are on PATH.

    Tests never install packages: ``bash .ci/setup --tests`` does (and CI runs it).

    Raises
    ------
    SlurmUnavailable
        Programs are missing; the message names them and the command that installs them.
    """
    missing = [name for name in REQUIRED_PROGRAMS if shutil.which(name) is None]
    if missing:
        raise SlurmUnavailable(
            f"{', '.join(missing)} not installed: run `bash .ci/setup --tests` as root "
            f"(or `apt-get install {' '.join(DEBIAN_PACKAGES)}`)"
        )


def _free_port() -> int:
    """A TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def node_memory_mb(margin_mb: int = 1024) -> int:
    """Memory to declare as the node's RealMemory: /proc/meminfo's MemTotal minus a margin.

    Parameters
    ----------
    margin_mb : int, default 1024
        MB left out for the operating system and the daemons.

    Returns
    -------
    int
        At least 256 (MB).
    """
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return max(256, int(line.split()[1]) // 1024 - margin_mb)
    raise SlurmUnavailable("/proc/meminfo has no MemTotal line: cannot size the node")


def slurm_conf_text(
    root: Path,
    hostname: str,
    cpus: int,
    real_memory_mb: int,
    ctld_port: int,
    slurmd_port: int,
    munge_socket: Path,
) -> str:
    """The text of a one-node ``slurm.conf`` whose state, spool and logs live under ``root``.

    Parameters
    ----------
    root : Path
        Folder for StateSaveLocation, SlurmdSpoolDir, pid and log files.
    hostname : str
        Name of the controller host and of the only node (this machine).
    cpus : int
        CPUs the node offers.
    real_memory_mb : int
        Memory the node offers, in MB.
    ctld_port, slurmd_port : int
        TCP ports of slurmctld and slurmd.
    munge_socket : Path
        Socket of the munged this cluster authenticates with.
    """
    return f"""\
ClusterName=evoaugtest
SlurmctldHost={hostname}
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={munge_socket}
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
PlugStackConfig={root}/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
# Finished jobs stay visible to squeue for 10 minutes: the executor's status command.
MinJobAge=600
# Trust the CPUs and memory declared here over what slurmd detects.
SlurmdParameters=config_overrides
NodeName={hostname} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={real_memory_mb} State=UNKNOWN
PartitionName={PARTITION} Nodes={hostname} Default=YES MaxTime=INFINITE State=UP
"""


@dataclass
class LocalSlurmCluster:
    """A one-node Slurm cluster whose every file lives under ``root``.

    Parameters
    ----------
    root : Path
        Folder for the configuration, munge key, state, spool and logs; created if missing.
        Keep it short: munge's socket path must fit in 108 bytes.
    cpus : int, default 2
        CPUs the node offers to jobs.
    start_timeout_s : float, default 60.0
        Limit in seconds for each daemon to come up.

    Examples
    --------
    >>> with LocalSlurmCluster(Path("/tmp/slurm")) as cluster:  # doctest: +SKIP
    ...     subprocess.run(["sinfo"], env=cluster.env(), check=True)
    """

    root: Path
    cpus: int = 2
    start_timeout_s: float = 60.0
    hostname: str = field(default_factory=socket.gethostname)
    _processes: dict[str, subprocess.Popen] = field(default_factory=dict, repr=False)

    @property
    def conf_path(self) -> Path:
        """The cluster's ``slurm.conf``."""
        return self.root / "slurm.conf"

    @property
    def bin_dir(self) -> Path:
        """Folder of the client wrappers that `env` puts first on ``PATH``."""
        return self.root / "bin"

    def env(self) -> dict[str, str]:
        """The current environment, pointed at this cluster (``SLURM_CONF``, ``PATH``)."""
        path = os.pathsep.join(filter(None, [str(self.bin_dir), os.environ.get("PATH")]))
        return {**os.environ, "SLURM_CONF": str(self.conf_path), "PATH": path}

    def _write_client_wrappers(self) -> None:
        """One executable ``<bin_dir>/<program>`` per client that sets SLURM_CONF and execs it."""
        self.bin_dir.mkdir(exist_ok=True)
        for program in CLIENT_PROGRAMS:
            real = shutil.which(program)
            if real is None:
                raise SlurmUnavailable(f"{program} is not installed")
            wrapper = self.bin_dir / program
            write_text_atomic(
                wrapper, f'#!/bin/sh\nSLURM_CONF="{self.conf_path}" exec "{real}" "$@"\n'
            )
            wrapper.chmod(0o755)

    def run_client(self, *command: str, timeout_s: float = 15.0) -> subprocess.CompletedProcess:
        """Run a Slurm client command (``squeue``, ``scontrol``...) against this cluster.

        Never raises: a timeout comes back as return code 124 with the reason in stderr.
        """
        try:
            return subprocess.run(
                command, env=self.env(), capture_output=True, text=True, timeout=timeout_s
            )
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(command, 124, "", f"timed out after {timeout_s} s")

    def _spawn(self, name: str, command: list[str]) -> None:
        """Start one daemon in the foreground, its output appended to ``<root>/<name>.out``."""
        with open(self.root / f"{name}.out", "ab") as output:
            self._processes[name] = subprocess.Popen(
                command, env=self.env(), stdout=output, stderr=subprocess.STDOUT
            )

    def _wait(self, what: str, ready, log: Path) -> None:
        """Poll ``ready()`` until it is true; raise with the log's tail on timeout or exit."""
        deadline = time.monotonic() + self.start_timeout_s
        exited = {}
        while time.monotonic() < deadline:
            if ready():
                return
            exited = {
                name: p.returncode for name, p in self._processes.items() if p.poll() is not None
            }
            if exited:
                break
            time.sleep(0.5)
        raise RuntimeError(
            f"{what} not ready within {self.start_timeout_s:.0f} s "
            f"(exited daemons: {exited or 'none'}); last lines of {log}:\n{_tail(log)}"
        )

    def node_state(self) -> str:
        """The node's state as ``sinfo`` reports it (``idle``, ``mix``, ``down*``...), or ''."""
        return self.run_client("sinfo", "--noheader", "--Node", "--format=%T").stdout.strip()

    def start(self) -> None:
        """Write the configuration and start munged, slurmctld and slurmd; wait until idle.

        Raises
        ------
        SlurmUnavailable
            Not root (the daemons need it).
        RuntimeError
            A daemon exited or did not come up in time; the message holds its log's tail.
        """
        if os.geteuid() != 0:
            raise SlurmUnavailable("slurmctld and slurmd need root: run the test as root")
        self.root.mkdir(parents=True, exist_ok=True)
        for folder in ("state", "spool", "munge"):
            (self.root / folder).mkdir(exist_ok=True)
        munge_dir = self.root / "munge"
        munge_dir.chmod(0o700)
        munge_socket = munge_dir / "munge.socket"
        key = munge_dir / "munge.key"
        key.write_bytes(secrets.token_bytes(1024))
        key.chmod(0o400)
        write_text_atomic(self.root / "plugstack.conf", "")
        self._write_client_wrappers()
        write_text_atomic(
            self.conf_path,
            slurm_conf_text(
                self.root,
                self.hostname,
                self.cpus,
                node_memory_mb(),
                _free_port(),
                _free_port(),
                munge_socket,
            ),
        )
        # --force: munged otherwise refuses to run as root or in a world-writable /tmp tree.
        self._spawn(
            "munged",
            [
                "munged",
                "--foreground",
                "--force",
                f"--socket={munge_socket}",
                f"--key-file={key}",
                f"--pid-file={munge_dir / 'munged.pid'}",
                f"--log-file={munge_dir / 'munged.log'}",
                f"--seed-file={munge_dir / 'munged.seed'}",
            ],
        )
        self._wait("munged", munge_socket.exists, munge_dir / "munged.log")
        self._spawn("slurmctld", ["slurmctld", "-D", "-f", str(self.conf_path)])
        self._wait(
            "slurmctld",
            lambda: "UP" in self.run_client("scontrol", "ping").stdout,
            self.root / "slurmctld.log",
        )
        self._spawn("slurmd", ["slurmd", "-D", "-f", str(self.conf_path), "-N", self.hostname])
        self._wait("slurmd", lambda: self.node_state() == "idle", self.root / "slurmd.log")

    def stop(self, timeout_s: float = 30.0) -> None:
        """Shut down the daemons this object started (scontrol shutdown, then signals).

        Safe to call more than once and after a failed `start`.

        Parameters
        ----------
        timeout_s : float, default 30.0
            Seconds each daemon gets to exit before it is killed.
        """
        controller = self._processes.get("slurmctld")
        shutdown_sent = (
            controller is not None
            and controller.poll() is None
            and self.run_client("scontrol", "shutdown", timeout_s=timeout_s).returncode == 0
        )
        for name in ("slurmd", "slurmctld", "munged"):
            process = self._processes.pop(name, None)
            if process is None:
                continue
            # scontrol shutdown stops both Slurm daemons; anything else gets SIGTERM.
            if process.poll() is None and (name == "munged" or not shutdown_sent):
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout_s)

    def __enter__(self) -> LocalSlurmCluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
