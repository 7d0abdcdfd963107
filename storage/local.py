"""A store in a local directory (``file:///path`` or a plain path).

Write-once objects are written to a temporary file, fsynced, then hard-linked into place, which
fails atomically if the name exists. Compare-and-swap holds an exclusive ``flock`` on a lock
file beside the key while it compares the current content's SHA-256 and renames the new file
into place, so concurrent processes on one machine cannot both win. Readers never see a
half-written file.

The backend never follows a symbolic link inside the store (the store's root may itself be a
link): every path is walked one component at a time from the root with ``O_NOFOLLOW``, and
every file is opened, created, renamed and linked relative to the directory descriptor that
walk ended on, so a link planted anywhere below the root (a head, a log entry, a directory of
blobs) cannot make a read print, or a write replace, a file outside the store, even if it is
planted while the operation runs. A read or write that meets a link fails naming it; a listing
skips it with a warning on stderr (once per link), so one planted link neither hides the rest of
the store nor stops every command; ``clausewatch verify`` reports each link (:meth:`links`). A
directory standing where the layout has a file (:func:`misplaced_directory`) is treated alike:
listings skip it with a warning and ``verify`` reports it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import hashlib
import os
import secrets
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

from clausewatch.errors import NotAFile, ObjectNotFound, StoreError
from clausewatch.storage import layout

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_List = list  # the class defines a method named list
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # NONBLOCK: a FIFO never hangs
# Within the store's areas (storage.layout) every directory but the layout's own stands where
# the layout has a file (``heads/D.json``, ``events/log/000000000002.json``,
# ``webhooks/E/state.json``, a blob), so it is never listed.
_LIBC = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
MISPLACED_DIRECTORY = "a directory where the store's layout has a file"


def misplaced_directory(key: str) -> bool:
    """Whether a directory at ``key`` stands where the layout has only files."""
    return key.split("/", 1)[0] in layout.TOP_LEVEL and not layout.DIRECTORIES.fullmatch(key)


class LocalBackend:
    """A :class:`storage.backend.Backend` over a directory."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()  # the root itself may be a link (/tmp, a data dir)
        self._warned: set[str] = set()
        # False inside a group commit (storage.group): writes skip their own syncs and
        # :meth:`sync` makes them durable together
        self.durable = True

    @property
    def url(self) -> str:
        return self.root.as_uri()

    def missing(self) -> str | None:
        """Why there is no store at the root (None if the root is a directory)."""
        try:
            st = os.stat(self.root)
        except FileNotFoundError:
            return (
                f"no store at {self.root} (check --store / CLAUSEWATCH_STORE; "
                "`clausewatch run`, `import` and `demo` create one)"
            )
        except OSError as exc:
            return f"cannot open the store at {self.root}: {exc.strerror}"
        if not stat.S_ISDIR(st.st_mode):
            return (
                f"{self.root} is not a store: it is a file, not a directory "
                "(check --store / CLAUSEWATCH_STORE)"
            )
        return None

    # -- reads ---------------------------------------------------------------------------
    def read(self, key: str) -> bytes:
        parts = _parts(key)
        try:
            with self._parent(key, parts) as parent:
                try:
                    fd = os.open(parts[-1], _READ, dir_fd=parent)
                except OSError as exc:
                    if _is_link_errno(exc) and _is_link(parent, parts[-1]):
                        raise self._link_error(key, key) from None
                    raise
                try:
                    if not stat.S_ISREG(os.fstat(fd).st_mode):
                        raise NotAFile(
                            f"{key!r} in store {self.url} is not a regular file: remove it"
                        )
                    os.set_blocking(fd, True)
                    with os.fdopen(os.dup(fd), "rb") as fh:
                        return fh.read()
                finally:
                    os.close(fd)
        except FileNotFoundError:
            raise ObjectNotFound(f"no object {key!r} in store {self.url}") from None
        except OSError as exc:
            raise StoreError(f"cannot read {key!r} in store {self.url}: {exc}") from exc

    def read_versioned(self, key: str) -> tuple[bytes, str] | None:
        try:
            data = self.read(key)
        except ObjectNotFound:
            return None
        return data, hashlib.sha256(data).hexdigest()

    def exists(self, key: str) -> bool:
        """Whether something other than a directory is at ``key``. A link counts (at the key
        or on the way to it): reading the key then fails naming the link."""
        parts = _parts(key)
        try:
            with self._parent(key, parts) as parent:
                st = os.stat(parts[-1], dir_fd=parent, follow_symlinks=False)
        except StoreError:
            return True  # a link on the way: the read says so
        except (FileNotFoundError, NotADirectoryError):
            return False
        except OSError as exc:
            raise StoreError(f"cannot check {key!r} in store {self.url}: {exc}") from exc
        return not stat.S_ISDIR(st.st_mode)

    def list(self, prefix: str, start_after: str | None = None) -> Iterator[str]:
        directory = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        # names of the directory that cannot lead to a key listed are passed over before any
        # other work: a document's checks after its latest one, the log after a cursor, cost
        # a directory read and a comparison per earlier name, not a key each
        begins = prefix[len(directory) + 1 :] if directory else prefix
        rest = None  # start_after below this directory
        if start_after is not None and (not directory or start_after.startswith(directory + "/")):
            rest = start_after[len(directory) + 1 :] if directory else start_after
        keys: _List[str] = []
        try:
            fd = self._directory(directory)
            if fd is not None:
                try:
                    self._walk(fd, directory, keys, links=None, names=(begins, rest))
                finally:
                    os.close(fd)
        except OSError as exc:
            raise StoreError(f"cannot list {prefix!r} in store {self.url}: {exc}") from exc
        keys = sorted(k for k in keys if k.startswith(prefix))
        yield from (k for k in keys if start_after is None or k > start_after)

    def links(self, under: str = "") -> _List[tuple[str, str]]:
        """Every symbolic link, special file (FIFO, device, socket) and directory where the
        layout has a file in the store (or under the directory ``under``, e.g.
        ``wayback/queue/``), for ``verify``: (key, what it is, e.g. "a symbolic link (to
        '/etc')")."""
        found: _List[tuple[str, str]] = []
        under = under.rstrip("/")
        try:
            fd = self._directory(under)
            if fd is not None:
                try:
                    self._walk(fd, under, [], links=found)
                finally:
                    os.close(fd)
        except OSError as exc:
            raise StoreError(f"cannot list the store {self.url}: {exc}") from exc
        return sorted(found)

    # -- writes --------------------------------------------------------------------------
    def create(self, key: str, data: bytes, sha256: str | None = None) -> bool:
        parts = _parts(key)
        name = parts[-1]
        with self._parent(key, parts, create=True) as parent:
            if self._present(parent, name, key):
                return False
            tmp = self._write_temp(parent, key, data)
            try:
                os.link(tmp, name, src_dir_fd=parent, dst_dir_fd=parent, follow_symlinks=False)
            except FileExistsError:
                self._present(parent, name, key)  # raises if a link was planted meanwhile
                return False
            except OSError as exc:
                raise self._write_error(key, exc) from exc
            finally:
                _unlink(tmp, parent)
            self._sync(parent, key)
        return True

    def swap(self, key: str, data: bytes, expected: str | None) -> str | None:
        parts = _parts(key)
        with self._parent(key, parts, create=True) as parent, self._locked(parent, key, parts):
            current = self.read_versioned(key)
            if (current[1] if current else None) != expected:
                return None
            self._replace(parent, key, parts[-1], data)
            self._sync(parent, key)
        return hashlib.sha256(data).hexdigest()  # the token read_versioned gives

    def overwrite(self, key: str, data: bytes) -> None:
        parts = _parts(key)
        with self._parent(key, parts, create=True) as parent:
            self._present(parent, parts[-1], key)  # refuse to replace a planted link
            self._replace(parent, key, parts[-1], data)

    def delete(self, key: str) -> None:
        parts = _parts(key)
        try:
            with self._parent(key, parts) as parent:
                if self._present(parent, parts[-1], key):  # refuses a planted link
                    try:
                        os.unlink(parts[-1], dir_fd=parent)
                    except FileNotFoundError:
                        return
                    except OSError as exc:
                        raise self._write_error(key, exc) from exc
                    self._sync(parent, key)
        except FileNotFoundError:
            return  # a directory on the way is missing: so is the key

    def _replace(self, parent: int, key: str, name: str, data: bytes) -> None:
        """Put ``data`` at ``name`` in ``parent`` whole: a temporary file renamed over it."""
        tmp = self._write_temp(parent, key, data)
        try:
            os.replace(tmp, name, src_dir_fd=parent, dst_dir_fd=parent)
        except OSError as exc:
            _unlink(tmp, parent)
            raise self._write_error(key, exc) from exc

    # -- walking without following links -------------------------------------------------
    @contextlib.contextmanager
    def _parent(self, key: str, parts: _List[str], create: bool = False) -> Iterator[int]:
        """A descriptor of the directory holding ``key``, reached without following a link.

        Raises FileNotFoundError when a directory on the way is missing (unless ``create``)
        and StoreError when one is a link."""
        fd = self._open_root(create)
        try:
            for i, name in enumerate(parts[:-1]):
                try:
                    sub = _open_dir(fd, name, create)
                except OSError as exc:
                    if _is_link_errno(exc) and _is_link(fd, name):
                        raise self._link_error("/".join(parts[: i + 1]), key) from None
                    if create:
                        raise self._write_error(key, exc) from exc
                    raise
                os.close(fd)
                fd = sub
            yield fd
        finally:
            os.close(fd)

    def _directory(self, directory: str) -> int | None:
        """A descriptor of a directory of the store (None if it is missing or a link; the
        caller closes it)."""
        try:
            fd = self._open_root(create=False)
        except FileNotFoundError:
            return None
        walked: _List[str] = []
        for name in _parts(directory) if directory else []:
            walked.append(name)
            try:
                sub = os.open(name, _DIR, dir_fd=fd)
            except OSError as exc:
                link = _is_link_errno(exc) and _is_link(fd, name)
                os.close(fd)
                if link:
                    key = "/".join(walked)
                    self._warn_once(key, self._link_error(key, key).args[0])
                if isinstance(exc, FileNotFoundError | NotADirectoryError):
                    return None
                raise
            os.close(fd)
            fd = sub
        return fd

    def _open_root(self, create: bool) -> int:
        try:
            return os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except FileNotFoundError:
            if not create:
                raise
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            return os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise self._write_error(str(self.root), exc) from exc

    def _walk(
        self,
        fd: int,
        prefix: str,
        keys: _List[str],
        links: _List[tuple[str, str]] | None,
        names: tuple[str, str | None] | None = None,
    ) -> None:
        """Collect the regular files under ``fd`` (keys), never descending into a link; each
        link or special file goes to ``links`` (or, when listing, is skipped with a warning).
        ``names`` (this directory only): what a name must begin with, and the path (below
        this directory) that every key wanted comes after."""
        with os.scandir(fd) as entries:
            if names is None:
                found = list(entries)
            else:
                begins, rest = names
                found = [e for e in entries if e.name.startswith(begins) and _after(e, rest)]
        for entry in found:
            key = f"{prefix}/{entry.name}" if prefix else entry.name
            if entry.is_symlink():
                if links is not None:
                    links.append((key, f"a symbolic link (to {_readlink(fd, entry.name)!r})"))
                else:
                    self._warn_once(key, self._link_error(key, key).args[0])
            elif entry.is_dir(follow_symlinks=False):
                if misplaced_directory(key):  # its contents are not in the layout either
                    if links is not None:
                        links.append((key, MISPLACED_DIRECTORY))
                    else:
                        self._warn_once(
                            key,
                            f"{key!r} in store {self.url}: it is {MISPLACED_DIRECTORY}: remove it",
                        )
                    continue
                try:
                    sub = os.open(entry.name, _DIR, dir_fd=fd)
                except FileNotFoundError:
                    continue  # removed meanwhile
                except OSError as exc:
                    if _is_link_errno(exc):
                        continue  # swapped for a link meanwhile: not followed
                    raise
                try:
                    self._walk(sub, key, keys, links)
                finally:
                    os.close(sub)
            elif not entry.is_file(follow_symlinks=False):
                kind = _special(entry.stat(follow_symlinks=False).st_mode)
                if links is not None:
                    links.append((key, kind))
                else:
                    self._warn_once(
                        key, f"{key!r} in store {self.url} is {kind}, not a regular file: remove it"
                    )
            elif not entry.name.startswith("."):
                keys.append(key)

    def _present(self, parent: int, name: str, key: str) -> bool:
        """Whether ``name`` exists in ``parent``; StoreError if it is a link."""
        try:
            st = os.stat(name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise self._write_error(key, exc) from exc
        if stat.S_ISLNK(st.st_mode):
            raise self._link_error(key, key)
        return True

    def _link_error(self, link: str, key: str) -> StoreError:
        where = "" if link == key else f" (on the way to {key!r})"
        return NotAFile(
            f"{link!r} in store {self.url} is a symbolic link{where}; clausewatch never "
            "follows links in a store: remove it"
        )

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            print(f"warning: skipping {message} (see `clausewatch verify`)", file=sys.stderr)

    def _write_temp(self, parent: int, key: str, data: bytes) -> str:
        """Write ``data`` to a new temporary file in ``parent`` and fsync it; its name."""
        for _ in range(100):
            name = f".tmp-{secrets.token_hex(8)}"
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            try:
                fd = os.open(name, flags, 0o600, dir_fd=parent)
                break
            except FileExistsError:
                continue
            except OSError as exc:
                raise self._write_error(key, exc) from exc
        else:  # pragma: no cover - 100 collisions of 64 random bits
            raise StoreError(f"cannot write {key!r} to {self.url}: no free temporary name")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                if self.durable:
                    os.fdatasync(fh.fileno())
        except OSError as exc:
            _unlink(name, parent)
            raise self._write_error(key, exc) from exc
        return name

    @contextlib.contextmanager
    def _locked(self, parent: int, key: str, parts: _List[str]) -> Iterator[None]:
        lock = f".{parts[-1]}.lock"
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(lock, flags, 0o666, dir_fd=parent)
        except OSError as exc:
            if _is_link_errno(exc) and _is_link(parent, lock):
                raise self._link_error("/".join([*parts[:-1], lock]), key) from None
            raise self._write_error(key, exc) from exc
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:
                raise self._write_error(key, exc) from exc
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _sync(self, parent: int, key: str) -> None:
        """Make a new or replaced name durable: a file's fsync does not cover its directory
        entry."""
        if not self.durable:
            return  # the group's sync covers it
        try:
            os.fsync(parent)
        except OSError as exc:
            raise self._write_error(key, exc) from exc

    def sync(self) -> None:
        """Make every write so far durable: one sync of the file system holding the store
        (Linux ``syncfs``; ``sync`` where there is none)."""
        fd = self._open_root(create=True)
        try:
            call = getattr(_LIBC, "syncfs", None)
            if call is None:  # pragma: no cover - not Linux
                os.sync()
            elif call(fd) != 0:
                err = ctypes.get_errno()
                raise StoreError(f"cannot sync the store {self.url}: {os.strerror(err)}")
        finally:
            os.close(fd)

    def _write_error(self, key: str, exc: OSError) -> StoreError:
        if exc.errno == errno.ENOSPC:
            return StoreError(
                f"disk full while writing {key!r} to {self.url}: free space and run again "
                "(nothing half-written was left in place)"
            )
        return StoreError(f"cannot write {key!r} to {self.url}: {exc}")


def _parts(key: str) -> list[str]:
    parts = key.split("/")
    if not key or any(p in ("", ".", "..") for p in parts):
        raise StoreError(f"invalid store key {key!r}")
    return parts


def _open_dir(parent: int, name: str, create: bool) -> int:
    """Open a directory without following a link (creating it first when asked)."""
    try:
        return os.open(name, _DIR, dir_fd=parent)
    except FileNotFoundError:
        if not create:
            raise
    with contextlib.suppress(FileExistsError):
        os.mkdir(name, dir_fd=parent)
    return os.open(name, _DIR, dir_fd=parent)


def _is_link_errno(exc: OSError) -> bool:
    # O_NOFOLLOW on a link: ELOOP; with O_DIRECTORY too: ENOTDIR (Linux); EMLINK (FreeBSD)
    return exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK)


def _is_link(parent: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _after(entry: os.DirEntry[str], rest: str | None) -> bool:
    """Whether a key at or under ``entry`` can come after ``rest`` (both relative to the
    directory being listed): a file's name must, and a directory's name plus ``/`` must, or
    hold ``rest`` itself."""
    if rest is None or entry.name > rest:  # (then its name plus "/" is after it too)
        return True
    below = entry.name + "/"  # the names checked first: most entries stop here, no type asked
    return (rest.startswith(below) or below > rest) and entry.is_dir(follow_symlinks=False)


def _special(mode: int) -> str:
    """What a file that is neither a regular file, a directory nor a link is."""
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def _readlink(parent: int, name: str) -> str:
    try:
        return os.readlink(name, dir_fd=parent)
    except OSError:
        return "?"


def _unlink(name: str, parent: int) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(name, dir_fd=parent)
