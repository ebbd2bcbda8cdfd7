"""Start Jupyter kernels by forking a process that has already imported what the chapters import.

    python scripts/kernel_zygote.py serve SOCKET              # the zygote: import, then fork a kernel per request
    python scripts/kernel_zygote.py launch SOCKET PID -- CMD  # what jupyter_client starts instead of the kernel

Every chapter's kernel spends about two seconds of CPU importing the same libraries (pandas, SciPy, statsmodels,
matplotlib, seaborn, the malstyring package); with thirteen chapters on two cores that is a quarter of
``make book``'s execution. The zygote imports them once; each kernel is a fork of it (copy-on-write memory), so
the imports cost nothing in the chapters. Nothing of a chapter runs in the zygote: it only imports modules, as the
kernel would when the chapter's import cell runs, and forks before any kernel exists.

``launch`` is a small stand-in with the standard library only: jupyter_client starts it as if it were the kernel.
It sends its command line, working folder, environment and standard streams to the zygote, which forks; the
child starts a new session, takes the streams, folder, environment and arguments, and runs
``ipykernel_launcher`` exactly as ``python -m`` would. The stand-in passes the signals it receives (interrupt,
terminate) on to the kernel's process group and exits with the kernel's exit status; if the stand-in is killed,
the zygote kills the kernel. When the zygote (process PID) is not running, the stand-in becomes the kernel itself
(it executes CMD), so a broken zygote costs time, not a failed chapter.

``scripts/execute_chapters.py`` uses it when it runs several chapters at once (``MALSTYRING_FORK_KERNELS=0`` turns
it off). The stored-notebook comparison checks that outputs are unchanged; the executed notebooks were also
compared byte for byte with and without the zygote (equal but for a progress bar's rate in chapter 8).
"""

import importlib
import json
import os
import signal
import socket
import sys
import time

PRELOAD = (
    "numpy",
    "pandas",
    "scipy.optimize",
    "scipy.stats",
    "statsmodels.api",
    "statsmodels.formula.api",
    "matplotlib",
    "matplotlib.pyplot",
    "seaborn",
    "joblib",
    "malstyring.book.chapters",
)
"""What the chapters import, and nothing more: modules imported here must behave as if the chapter had imported
them, so the list holds only libraries that read nothing at import time which the kernel sets up later (the
kernel's environment, IPython). IPython, ipykernel and myst_nb are therefore left to the kernel: ipykernel, for
one, reads the kernel's parent process from the environment when its module is imported. Importing these emits no
warning (a warning printed at import would otherwise move from the chapter's output to the zygote's log)."""
CHAPTERS_PACKAGE = "malstyring.book.chapters"
KERNEL_MODULE = "ipykernel_launcher"
MAX_MESSAGE = 1 << 20


# --- the zygote -------------------------------------------------------------------------------------------------


def _preload() -> None:
    # as ipykernel would set it before the chapter imports matplotlib (it only sets it when unset)
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")

    for name in preload_modules():
        try:
            importlib.import_module(name)
        except Exception as err:  # the kernel will import it itself, and fail there if it must
            print(f"kernel_zygote: not preloaded: {name}: {type(err).__name__}: {err}", file=sys.stderr, flush=True)


def preload_modules() -> list[str]:
    """:data:`PRELOAD`, with every chapter module of ``malstyring.book.chapters`` (what the chapters' one code cell
    imports; with them the whole package below it)."""
    import pkgutil

    chapters = importlib.import_module(CHAPTERS_PACKAGE)
    names = [f"{CHAPTERS_PACKAGE}.{m.name}" for m in pkgutil.iter_modules(chapters.__path__)]
    return [name for name in PRELOAD if name != CHAPTERS_PACKAGE] + names


def _child(request: dict, fds: list[int], close: list[socket.socket]) -> None:
    """In the forked process: become the kernel. Never returns: ends the process with the kernel's exit status
    through the interpreter's normal exit (threads joined, atexit handlers run), as ``python -m`` would."""
    code = 1
    try:
        for sock in close:
            sock.close()
        os.setsid()  # its own process group, as jupyter_client gives a kernel: signals reach it and its workers
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        os.chdir(request["cwd"])
        sys.path[0] = os.getcwd()  # `python -m` puts the working folder first; the zygote has its own folder there
        os.environ.clear()
        os.environ.update(request["env"])
        argv = request["argv"]
        sys.argv = [KERNEL_MODULE, *argv[argv.index(KERNEL_MODULE) + 1 :]]
        import runpy

        runpy.run_module(KERNEL_MODULE, run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    raise _KernelExit(code)


class _KernelExit(BaseException):
    """Raised in a forked kernel to leave the zygote's loop; turned into the process's exit status at the top."""

    def __init__(self, code: int):
        self.code = code


def serve(path: str) -> int:
    _preload()
    parent = os.getppid()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(16)
    server.settimeout(0.05)
    kernels: dict[int, socket.socket] = {}  # kernel pid -> connection of its stand-in
    while True:
        try:
            conn, _ = server.accept()
        except TimeoutError:
            conn = None
        if conn is not None:
            conn.settimeout(None)
            message, fds, _, _ = socket.recv_fds(conn, MAX_MESSAGE, 3)
            request = json.loads(message)
            pid = os.fork()
            if pid == 0:
                _child(request, fds, [server, conn, *kernels.values()])
            for fd in fds:
                os.close(fd)
            conn.sendall(f"{pid}\n".encode())
            conn.setblocking(False)
            kernels[pid] = conn
        for pid, conn in list(kernels.items()):  # a stand-in that went away (killed): its kernel goes too
            try:
                gone = conn.recv(1) == b""
            except BlockingIOError:
                gone = False
            if gone:
                _kill_group(pid, signal.SIGKILL)
        while kernels:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            conn = kernels.pop(pid, None)
            if conn is not None:
                try:
                    conn.setblocking(True)
                    conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
                except OSError:
                    pass
                conn.close()
        if os.getppid() != parent:  # the run that started the zygote is gone
            for pid in kernels:
                _kill_group(pid, signal.SIGKILL)
            return 0


def _kill_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except OSError:
        pass


# --- the stand-in -----------------------------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (ended, not yet reaped by its parent) is not alive
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def launch(path: str, zygote_pid: int, argv: list[str]) -> int:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    deadline = time.monotonic() + 60  # the zygote may still be importing
    while True:
        try:
            sock.connect(path)
            break
        except (FileNotFoundError, ConnectionRefusedError):
            if not _alive(zygote_pid) or time.monotonic() > deadline:
                print(f"kernel_zygote: no zygote at {path}: starting the kernel itself", file=sys.stderr, flush=True)
                os.execv(argv[0], argv)
            time.sleep(0.02)
    request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}
    socket.send_fds(sock, [json.dumps(request).encode()], [0, 1, 2])
    reader = sock.makefile("r")
    pid = int(reader.readline())

    def relay(signum, _frame):
        _kill_group(pid, signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, relay)
    line = reader.readline()
    code = int(line) if line.strip() else 1
    return 128 - code if code < 0 else code


if __name__ == "__main__":
    command, path, *rest = sys.argv[1:]
    if command == "serve":
        try:
            sys.exit(serve(path))
        except _KernelExit as kernel:
            sys.exit(kernel.code)
    if command == "launch":
        pid, *cmd = rest
        sys.exit(launch(path, int(pid), cmd[1:] if cmd[:1] == ["--"] else cmd))
    sys.exit(f"usage: {sys.argv[0]} serve SOCKET | launch SOCKET PID -- CMD")
