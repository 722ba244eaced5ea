"""One Jupyter kernel for all the reports of a worker process (``ketnghia report``).

Starting the ``ketnghia`` kernel and importing pandas, matplotlib, seaborn and the package
in it takes about 3 s: as long as a district report's own work. So a report worker starts
one kernel (:func:`ready` → :class:`SharedKernel`) and papermill runs each of the worker's
reports in it in turn (``papermill.execute_notebook(..., km=kernel.manager)``: nbclient
leaves running a kernel whose manager it did not create).

Before each report :func:`clean` runs in the kernel: the previous report's variables,
outputs, figures and execution count are forgotten, and the global settings a notebook can
change are put back as a new kernel has them (matplotlib and seaborn rcParams, pandas
options, warning filters, working folder). Imported modules stay: that is the saving; the
package's modules hold no state between calls.

A kernel that died, that does not answer :func:`clean` within ``CLEAN_TIMEOUT``, or that
failed a report otherwise than by a cell error (cell timeout, lost connection) is shut down;
the next report gets a new one. The last kernel is shut down when the process exits.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import time
from queue import Empty
from typing import cast

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

CLEAN_TIMEOUT = 60  # seconds; a kernel that cannot clean up in this time is replaced
# As nbclient does for the kernels it starts: no IPython history file on disk, which two
# kernels at once would lock.
_KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:"]
# clean() ends by emptying the namespace: the name it is imported under goes too.
_CLEAN_CODE = "from ketnghia_analysis.reporting.kernel import clean\nclean()"


class _Client(AsyncKernelClient):
    """A client that connects once, although nbclient connects it for every notebook."""

    _ready = False

    def start_channels(self, *args, **kwargs) -> None:
        if not self.channels_running:
            super().start_channels(*args, **kwargs)

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        # The first wait checks the connection and ends with 0.2 s of silence on IOPub;
        # later the kernel has just answered clean() on the shell channel.
        if not self._ready:
            await super().wait_for_ready(timeout=timeout)
            self._ready = True


class _Manager(AsyncKernelManager):
    """The kernel manager given to papermill, with one client for all the notebooks.

    nbclient asks the manager for a client for every notebook (sockets, a heartbeat
    thread, 0.2–0.4 s waiting for it to connect) and leaves it open when it does not own
    the manager; this one hands out the same client every time, connected once.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(client_factory=_Client, **kwargs)
        self.shared_client: _Client | None = None

    # KernelManager declares a blocking client; an async manager hands out async ones.
    def client(self, **kwargs) -> _Client:  # type: ignore[override]
        """The one client of this manager (made by ``client_factory``: a ``_Client``)."""
        if self.shared_client is None:
            self.shared_client = cast(_Client, super().client(**kwargs))
        return self.shared_client

    def close_client(self) -> None:
        if self.shared_client is not None:
            self.shared_client.stop_channels()
            self.shared_client = None


class SharedKernel:
    """A kernel started in ``cwd`` in which reports run one after another."""

    def __init__(self, name: str, cwd: str) -> None:
        self.cwd = cwd
        self.manager = _Manager(kernel_name=name)
        run_sync(self.manager.start_kernel)(cwd=cwd, extra_arguments=_KERNEL_ARGUMENTS)
        # A client of our own, shell channel only, for the clean-up between reports.
        self._shell = BlockingKernelClient()
        try:
            self._shell.load_connection_info(self.manager.get_connection_info())
            self._shell.start_channels(
                shell=True, iopub=False, stdin=False, hb=False, control=False
            )
        except BaseException:
            self.shutdown(now=True)  # no kernel left running behind a failed start
            raise

    @property
    def pid(self) -> int | None:
        """The kernel's process id (for tests)."""
        process = getattr(self.manager.provisioner, "process", None)
        return process.pid if process is not None else None

    def is_alive(self) -> bool:
        return bool(run_sync(self.manager.is_alive)())

    def clean(self) -> bool:
        """Run :func:`clean` in the kernel; False if it is dead, fails or does not answer."""
        if not self.is_alive():
            return False
        msg_id = self._shell.execute(_CLEAN_CODE, silent=True, store_history=False)
        deadline = time.monotonic() + CLEAN_TIMEOUT
        while time.monotonic() < deadline:
            try:
                reply = self._shell.get_shell_msg(timeout=1)
            except Empty:
                if not self.is_alive():
                    return False
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply["content"]["status"] == "ok"
        return False

    def shutdown(self, now: bool = False) -> None:
        """Stop the kernel process and close the clients.

        ``now`` kills it at once; otherwise it is asked to stop, and killed if it has not
        within a few seconds.
        """
        self.manager.close_client()
        self._shell.stop_channels()
        try:
            run_sync(self.manager.shutdown_kernel)(now=now or not self.is_alive())
        except Exception:  # already gone: nothing left to stop
            pass


_current: SharedKernel | None = None


def ready(name: str, cwd: str) -> SharedKernel:
    """This process's kernel, cleaned for the next report: the running one if it runs in
    ``cwd`` and cleans up, else a new one started in ``cwd``."""
    global _current
    if _current is not None and _current.cwd != cwd:
        discard()
    if _current is not None and not _current.clean():
        discard(now=True)
    if _current is None:
        kernel = SharedKernel(name, cwd)
        if not kernel.clean():  # also records what a new kernel looks like (see clean())
            kernel.shutdown(now=True)
            raise RuntimeError(f"Kernel '{name}' vừa khởi động nhưng không sẵn sàng chạy báo cáo.")
        _current = kernel
    return _current


def discard(now: bool = False) -> None:
    """Shut this process's kernel down: after a failure that may leave it unusable
    (``now``: killed), and when the process exits (asked to stop)."""
    global _current
    if _current is not None:
        kernel, _current = _current, None
        kernel.shutdown(now=now)


atexit.register(discard)


# --- in the kernel ------------------------------------------------------------------

_NEW_KERNEL: dict = {}


def clean() -> None:
    """(Runs in the kernel.) Make it look new: no variables, outputs, figures or last
    error, the execution count back to 1, global settings as in a new kernel; modules
    stay imported.

    The first call, in a new kernel, records its working folder and warning filters.
    """
    import warnings

    from IPython import get_ipython

    if "matplotlib.pyplot" in sys.modules:
        import matplotlib
        import matplotlib.pyplot as plt

        plt.close("all")
        # rcParams as after "import matplotlib" (the inline backend changes none): undoes
        # charts.setup() and seaborn themes.
        matplotlib.rc_file_defaults()
    if "pandas" in sys.modules:
        import pandas as pd

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # resetting deprecated options warns
            pd.reset_option("all")
    if "warnings" in _NEW_KERNEL:
        _NEW_KERNEL["warnings"].__exit__(None, None, None)  # back to the new kernel's filters
    else:
        _NEW_KERNEL["cwd"] = os.getcwd()
    _NEW_KERNEL["warnings"] = warnings.catch_warnings()
    _NEW_KERNEL["warnings"].__enter__()  # saves the filters the next clean() restores
    os.chdir(_NEW_KERNEL["cwd"])
    for name in ("last_exc", "last_type", "last_value", "last_traceback"):
        sys.__dict__.pop(name, None)  # the last error, which holds the report's frames
    get_ipython().reset(new_session=True)  # variables, Out, execution count
    # reset() collects before it clears the namespace: the report's cycles (figures,
    # frames) are only garbage now. Collect them, then move what is left, which lives as
    # long as the kernel (modules, caches), out of the way of the next report's collections.
    gc.collect()
    gc.freeze()
