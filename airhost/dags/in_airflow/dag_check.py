"""Import DAG files the way Airflow's DAG processor does, and print what it found. Runs in the
environment's virtualenv (standard library and Airflow only), by path, never imported by airhost.

``once FOLDER [FILE ...]``: parse the folder (or only the named files, relative to it) and print one
``AIRHOST-CHECK {json}`` line.

``serve SOCKET FINGERPRINT``: a long-lived checker. It listens first, then imports Airflow once, and
answers each request (one JSON line: folder and optional files) from a fresh fork, so no DAG module
survives from one check to the next and each check costs the DAG files' own import, not Airflow's.
FINGERPRINT is the virtualenv's, echoed back so a caller can tell a checker that outlived its
virtualenv.
"""

import json
import os
import signal
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if sys.path and os.path.abspath(sys.path[0] or os.getcwd()) == HERE:
    del sys.path[0]  # this folder must not shadow modules the DAG files import


def _bag_factory(folder):
    from pathlib import Path

    try:  # Airflow 3.2+: the bundle-aware bag the DAG processor uses
        from airflow.dag_processing.dagbag import BundleDagBag

        return lambda collect: BundleDagBag(dag_folder=folder, bundle_path=Path(folder), safe_mode=True,
                                            collect_dags=collect)
    except ImportError:
        from airflow.models.dagbag import DagBag

        return lambda collect: DagBag(dag_folder=folder, include_examples=False, safe_mode=True,
                                      collect_dags=collect)


def check(folder, files=None):
    """{"dags": {dag id: file}, "errors": {file: traceback}} for the folder or only ``files``."""
    make = _bag_factory(folder)
    if files is None:
        bag = make(True)
    else:
        # Airflow's own discovery (.airflowignore, the safe-mode heuristic), kept to the files asked.
        from airflow.utils.file import list_py_file_paths

        wanted = {os.path.normpath(os.path.join(folder, name)) for name in files}
        bag = make(False)
        for path in list_py_file_paths(folder, safe_mode=True):
            if os.path.normpath(path) in wanted:
                bag.process_file(path, only_if_updated=False, safe_mode=True)

    def relative(path):
        return os.path.relpath(path, folder) if os.path.isabs(path) else path

    return {"dags": {dag_id: relative(dag.fileloc) for dag_id, dag in bag.dags.items()},
            "errors": {relative(path): text for path, text in bag.import_errors.items()}}


def _answer(connection, fingerprint):
    """In the forked child: read one request, check, write one answer."""
    reader = connection.makefile("rb")
    request = json.loads(reader.readline() or b"{}")
    signal.alarm(int(request.get("timeout") or 300))  # a DAG stuck at import ends with its check
    try:
        answer = {"fingerprint": fingerprint, **check(request["folder"], request.get("files"))}
    except Exception as error:  # the checker itself failed: say so, the caller falls back
        answer = {"fingerprint": fingerprint, "failure": f"{type(error).__name__}: {error}"}
    connection.sendall((json.dumps(answer) + "\n").encode())


def serve(path, fingerprint):
    if os.path.exists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        listener.bind(path)
    finally:
        os.umask(old_umask)
    listener.listen(16)  # callers queue here while Airflow is still being imported
    import airflow.dag_processing.dagbag  # noqa: F401  the cost paid once, before the first answer
    import airflow.utils.file  # noqa: F401

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # finished checks are reaped by the kernel
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            connection, _ = listener.accept()
            if os.fork() == 0:
                listener.close()
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                try:
                    _answer(connection, fingerprint)
                finally:
                    os._exit(0)
            connection.close()
    finally:
        if os.path.exists(path):
            os.unlink(path)


def main(argv):
    if argv[:1] == ["serve"] and len(argv) == 3:
        serve(argv[1], argv[2])
        return 0
    if argv[:1] == ["once"] and len(argv) >= 2:
        print("AIRHOST-CHECK " + json.dumps(check(argv[1], argv[2:] or None)))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
