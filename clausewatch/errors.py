"""One exception tree for clausewatch.

    ClausewatchError
    ├── CatalogError            a catalog file is malformed or invalid (names file, document, field)
    ├── InputError              a command-line argument or batch line is unusable
    │   └── SettingsError       a CLAUSEWATCH_* environment variable is unusable
    ├── CaptureError            rendering a page failed
    │   ├── FetchError          the server answered with an error, or could not be reached
    │   └── CaptureTimeout      navigation or settling took too long (transient: retried)
    ├── ExtractionError         the page gave no legal text (selector matched nothing, empty page)
    │   └── SuspectPage         an error/challenge/sign-in page, or a collapse of the text
    ├── BrowserNotFound         no Chromium to launch
    └── StoreError              the store failed
        ├── ObjectNotFound      no object under that key or hash
        ├── IntegrityError      an object's bytes do not hash to its name
        ├── StoreUnavailable    the backend could not be reached (transient: retried)
        └── ConflictError       a compare-and-swap lost too many times in a row

Third-party errors (botocore, Playwright, OSError) are mapped to these at the boundary with
``raise ... from``. Which of them a retry may cure is decided in one place,
:func:`clausewatch.retry.is_transient`. Every message says what happened, to which document, URL or hash, and what
to do about it.
"""

from __future__ import annotations


class ClausewatchError(Exception):
    """Base of every error clausewatch raises on purpose."""


class CatalogError(ClausewatchError):
    """A catalog file is malformed or fails validation."""


class InputError(ClausewatchError):
    """A command-line argument or batch input line is unusable."""


class SettingsError(InputError, ValueError):
    """A ``CLAUSEWATCH_*`` environment variable has a value that cannot be used; the message
    names the variable and what it accepts. Also a :class:`ValueError`, as the reads it
    replaces raised."""


class CaptureError(ClausewatchError):
    """Rendering a page failed."""

    transient = False


class FetchError(CaptureError):
    """The server answered with an error status, or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None, transient: bool = False):
        super().__init__(message)
        self.status = status
        self.transient = transient


class CaptureTimeout(CaptureError):
    """Navigation or settling exceeded its timeout."""

    transient = True


class ExtractionError(ClausewatchError):
    """The page yielded no legal text. ``reason`` (in the ``extraction_failed`` event) says
    why when it is more than "no text": ``suspect`` for a page held back as not the document."""

    reason: str | None = None


class SuspectPage(ExtractionError):
    """The page looks like an error, challenge, sign-in or redirect page, or lost most of the
    previous version's words: never a version; the next capture tries again."""

    reason = "suspect"


class BrowserNotFound(ClausewatchError):
    """No Chromium executable could be found."""


class StoreError(ClausewatchError):
    """The store failed."""


class ObjectNotFound(StoreError):
    """No object exists under the requested key or hash."""


class IntegrityError(StoreError):
    """An object's bytes do not hash to the name it is stored under."""


class NotAFile(StoreError):
    """A key of a local store holds a symbolic link or a special file (never followed or read)."""


class StoreUnavailable(StoreError):
    """The storage backend could not be reached or answered with a server error."""


class ConflictError(StoreError):
    """A compare-and-swap kept losing to concurrent writers."""
