"""One Jupyter kernel for every notebook of a run, driven through papermill.

papermill starts a new kernel per notebook: ≈ 1 s each, and every notebook imports jmapkit, pandas
and the analytics again. `jmapkit run` executes its notebooks one after another in one kernel
instead, clearing the notebook's variables in between (`%reset -f`, the folder and the cell
counter back to where a fresh kernel starts) while imported modules stay loaded. papermill still
parameterizes, executes and saves each notebook, through its engine hook (`engine_name`).

The kernel talks over IPC sockets in a private temporary folder (no TCP port, so no "running over
TCP without encryption" warning), and its own stdout and stderr go to a log file in the run folder,
which says why it died when it does.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import papermill as pm
from jupyter_client import AsyncKernelManager
from jupyter_core.utils import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

from jmapkit.pipeline import UNUSED_MODULES

ENGINE = "jmapkit-shared-kernel"
START_SECONDS = 60
# What a fresh kernel looks like to a notebook: no variables, its own folder, cells counted from 1.
RESET = (
    "get_ipython().run_line_magic('reset', '-f')\n"
    "__import__('os').chdir({cwd!r})\n"
    "get_ipython().execution_count = 1\n"
)


class SharedKernel:
    """A kernel started on first use and reused for each notebook until `close()`."""

    def __init__(self, cwd: Path, log: Path, kernel_name: str) -> None:
        self.cwd = cwd
        self.log_path = log
        self.name = kernel_name
        self.km: AsyncKernelManager | None = None
        self.kc: Any = None
        self._sockets: str | None = None
        self._log: Any = None

    def __enter__(self) -> SharedKernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def execute(self, source: Path, output: Path, parameters: dict[str, Any], kernel_name: str) -> None:
        """Run one notebook with papermill in this kernel (a different kernel name starts that kernel)."""
        if self.km is not None and kernel_name != self.name:
            self.close()
        self.name = kernel_name
        if self.km is None:
            self._start()
        else:
            self._reset()
        pm.execute_notebook(
            str(source),
            str(output),
            parameters=parameters,
            engine_name=ENGINE,
            kernel_name=kernel_name,
            cwd=str(self.cwd),
            progress_bar=False,
            log_output=False,
            start_timeout=START_SECONDS,
            kernel=self,
        )

    def close(self) -> None:
        """Shut the kernel down and remove its sockets; safe to call twice and after the kernel died."""
        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        if self.km is not None:
            try:
                if run_sync(self.km.is_alive)():
                    # Stopped, not asked to exit: every file a notebook writes is complete (atomic, fsynced) when
                    # its cell returns, and its output is unbuffered, while a polite exit spends 2 s freeing
                    # memory (the language-identification model alone 0.85 s).
                    run_sync(self.km.shutdown_kernel)(now=True)
            finally:
                run_sync(self.km.cleanup_resources)()
                self.km = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._sockets is not None:
            shutil.rmtree(self._sockets, ignore_errors=True)
            self._sockets = None

    def _start(self) -> None:
        # A short private folder: a Unix socket path may hold only ~100 characters.
        self._sockets = tempfile.mkdtemp(prefix="jmapkit-")
        self._log = open(self.log_path, "ab")  # open as long as the kernel runs
        self.km = AsyncKernelManager(kernel_name=self.name, transport="ipc", ip=str(Path(self._sockets) / "k"))
        # The kernel is this run's own: it may skip what a run never uses, as the `jmapkit` command does.
        skip = "; ".join(f"sys.modules.setdefault({name!r}, None)" for name in UNUSED_MODULES)
        # An in-memory history, as nbclient starts its kernels: no shared sqlite file to lock and write at exit.
        arguments = ["--HistoryManager.hist_file=:memory:", f"--IPKernelApp.exec_lines=import sys; {skip}"]
        run_sync(self.km.start_kernel)(cwd=str(self.cwd), stdout=self._log, stderr=self._log,
                                       extra_arguments=arguments, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            run_sync(self.kc.wait_for_ready)(timeout=START_SECONDS)
        except RuntimeError:
            self.close()
            raise
        self.kc.allow_stdin = False

    def _reset(self) -> None:
        reply = run_sync(self.kc.execute_interactive)(
            RESET.format(cwd=str(self.cwd)), store_history=False, timeout=START_SECONDS
        )
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"could not clear the kernel between notebooks: {reply['content'].get('evalue')}")


class SharedKernelEngine(NBClientEngine):
    """papermill's nbclient engine on a kernel it does not own: it neither starts nor shuts it down."""

    @classmethod
    def execute_managed_notebook(  # type: ignore[override]
        cls,
        nb_man: Any,
        kernel_name: str,
        *,
        kernel: SharedKernel,
        start_timeout: int = START_SECONDS,
        execution_timeout: int | None = None,
        **_: Any,
    ) -> Any:
        client = PapermillNotebookClient(
            nb_man, km=kernel.km, kernel_name=kernel_name, timeout=execution_timeout,
            startup_timeout=start_timeout, log_output=False,
        )
        client.kc = kernel.kc  # nbclient reuses a client it is given, and leaves it open afterwards
        return client.execute()


papermill_engines.register(ENGINE, SharedKernelEngine)
