"""nbgrader's cell execution, bounded even when a student's code ignores interrupts.

At ``Execute.timeout`` nbgrader interrupts the kernel (SIGINT) and goes on with the next
cell. A graded function that ignores SIGINT (``signal.signal(SIGINT, SIG_IGN)``) or
catches ``KeyboardInterrupt`` in a loop keeps the kernel busy: every later cell then
waits for its own full timeout, and one such student holds a grading worker for as
long as the whole submission's limit. ``BoundedExecute`` waits ``interrupt_grace``
seconds for the interrupted cell to answer; when it does not, the kernel is restarted
(killed and started afresh, in the same sandbox) and the cell's output says so in
French, with ``KERNEL_RESTARTED`` as the exception's name: the cells after it run in the
new kernel, without what the earlier cells defined, so ``course.autograde`` leaves their
in-kernel results out of its comparison and flags the notebook. The automatic points do
not depend on the kernel: they come from the independent correction (``course.verify``),
which bounds each case itself.

Registered in ``nbgrader_config.py`` in place of nbgrader's ``Execute`` (its
configuration, ``c.Execute.timeout`` included, applies to this subclass).
"""

from __future__ import annotations

from queue import Empty

from jupyter_core.utils import ensure_async
from nbgrader.preprocessors import Execute
from traitlets import Float

from .messages import tr

KERNEL_RESTARTED = "NoyauRedemarre"


class BoundedExecute(Execute):
    """``Execute`` that restarts a kernel which does not answer its interrupt."""

    interrupt_grace = Float(10.0, help="Seconds an interrupted cell has to stop before its kernel is "
                                       "restarted.").tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._stale_clients: list = []

    async def async_execute_cell(self, *args, **kwargs):
        while self._stale_clients:  # the cell that restarted the kernel is over
            self._stale_clients.pop().stop_channels()
            self.raise_on_iopub_timeout = self._raise_on_iopub_timeout
        return await super().async_execute_cell(*args, **kwargs)

    async def _async_handle_timeout(self, timeout, cell=None):
        reply = await super()._async_handle_timeout(timeout, cell)
        if not self.interrupt_on_timeout:
            return reply
        try:  # the interrupted cell's reply: the interrupt worked
            await ensure_async(self.kc.shell_channel.get_msg(timeout=self.interrupt_grace))
            return reply
        except Empty:
            pass
        self.log.error("The cell ignored the interrupt: restarting the kernel")
        # stopped, then started afresh on new ports (or new socket files): a restart on the
        # same ports leaves the new kernel deaf to a fresh client now and then
        launch = dict(getattr(self.km, "_launch_args", None) or {})
        await ensure_async(self.km.shutdown_kernel(now=True, restart=True))  # keeps its ZMQ context
        ports = ("shell_port", "iopub_port", "stdin_port", "hb_port", "control_port")
        after = max(getattr(self.km, port) or 0 for port in ports) + 1
        for i, port in enumerate(ports):  # Unix sockets: the next free names; TCP: chosen by the system
            setattr(self.km, port, after + i if self.km.transport == "ipc" else 0)
        self.km.cleanup_connection_file()
        await ensure_async(self.km.start_kernel(**launch))
        # a new client (the old one's channels may hold the dead kernel's pending requests);
        # the old one is stopped once this cell is over: a task still awaits its iopub
        client = self.km.client()
        client.start_channels()
        await ensure_async(client.wait_for_ready(timeout=self.startup_timeout))
        client.allow_stdin = False
        self._stale_clients.append(self.kc)
        self.kc = client
        # the restarted cell's output is still awaited on the old client, in vain: not an error
        self._raise_on_iopub_timeout, self.raise_on_iopub_timeout = self.raise_on_iopub_timeout, False
        message = tr("the cell did not stop within {timeout} s, nor when interrupted: the kernel was "
                     "restarted, and the following cells ran without what came before", timeout=timeout)
        return {"content": {"status": "error", "ename": KERNEL_RESTARTED, "evalue": message,
                            "traceback": [f"{KERNEL_RESTARTED}: {message}"]}}
