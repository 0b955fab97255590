"""Atomic file writes: a file being replaced holds either its previous content or the complete new one, never a part."""

import contextlib
import errno
import io
import os
import secrets
import stat
from collections.abc import Iterator


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[io.BufferedWriter]:
    """
    Write ``path`` through a temporary file in the same folder that replaces it once complete and on disk.

    The temporary file is flushed and ``fsync``-ed, then moved onto ``path`` with ``os.replace`` (atomic on POSIX
    and Windows) and the folder is ``fsync``-ed, so that a crash, a full disk, ``kill -9`` or a power cut leaves
    either the previous file or the new one. If the block raises, the temporary file is removed and ``path`` is
    left as it was. Missing parent folders are created.

    As with ``open(path, "wb")``, a symbolic link is written through (its target is replaced, the link stays), a file
    that may not be written is refused, and a file replaced keeps its permissions.

    :param path: The file to write.
    :return: A context manager giving a binary file open for writing.
    :raises PermissionError: If ``path`` exists and may not be written, before anything is written.
    """
    path = os.path.realpath(os.fspath(path))
    if os.path.islink(path):  # a loop of links, which realpath leaves unresolved
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)
    mode = None
    if os.path.exists(path):
        if not os.access(path, os.W_OK):
            raise PermissionError(errno.EACCES, "Permission denied: the file may not be written", path)
        mode = stat.S_IMODE(os.stat(path).st_mode)
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
    # os.open rather than tempfile.mkstemp: the file gets the permissions of an ordinary new file (umask), not 0600.
    descriptor = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    fsync_folder(folder)


def fsync_folder(folder: str | os.PathLike) -> None:
    """
    Make the entries of a folder (files created, renamed or removed in it) durable, where the system allows it.

    :param folder: The folder.
    """
    if os.name != "posix":  # Windows cannot open a folder; its renames are durable once the call returns
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def fsync_tree(folder: str | os.PathLike) -> None:
    """
    ``fsync`` every file and folder below ``folder``, so that files written by others (pickles, JSON) are on disk
    before the folder is renamed into place.

    :param folder: The root of the tree.
    """
    for root, _, names in os.walk(os.fspath(folder)):
        for name in names:
            with open(os.path.join(root, name), "r+b") as file:
                os.fsync(file.fileno())
        fsync_folder(root)
