"""The transport: one verified download over HTTP(S) or ``file://``, resumed and retried.

Everything here uses the standard library (``urllib``) plus ``tqdm``, so a download needs
no new dependency.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import math
import os
import re
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tqdm.auto import tqdm

from evoaugflow import __version__
from evoaugflow.download.checksums import check_md5_text, file_md5, read_sidecar
from evoaugflow.io import write_text_atomic

LOGGER = logging.getLogger(__name__)
USER_AGENT = f"evoaugflow/{__version__} (+urllib)"
URL_SCHEMES = ("http", "https", "file")
# Errors of the transport (DNS, refused or reset connections, timeouts, TLS, broken HTTP
# framing). Any of them may go away on the next try; HTTP status codes are judged apart.
_NETWORK_ERRORS = (
    urllib.error.URLError,
    ConnectionError,
    TimeoutError,
    http.client.HTTPException,
    ssl.SSLError,
)


class DownloadError(RuntimeError):
    """A file could not be fetched; the message names the URL and the destination."""


class ChecksumError(DownloadError):
    """The downloaded bytes do not have the expected md5; nothing was kept."""


class _Transient(Exception):
    """One attempt failed in a way that another attempt may fix."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class _Partial:
    """The ``.part`` file being written, with the running md5 of its bytes."""

    def __init__(self, path: Path, chunk_size: int, url: str = "") -> None:
        self.path = path
        self.hasher = hashlib.md5()
        self.size = 0
        self.resumed = False
        # The URL a .part came from is kept beside it: bytes of another URL (a manifest
        # edited between two runs) are never continued.
        self.origin = path.with_name(path.name + ".url")
        if path.exists() and (not self.origin.exists() or self.origin.read_text() != url):
            self.path.unlink()
        if path.exists():
            # A .part left by an interrupted earlier run: hash it so the download continues.
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(chunk_size), b""):
                    self.update(block)
        else:
            write_text_atomic(self.origin, url)

    def update(self, block: bytes) -> None:
        self.hasher.update(block)
        self.size += len(block)

    def reset(self) -> None:
        self.path.unlink(missing_ok=True)
        self.hasher = hashlib.md5()
        self.size = 0
        self.resumed = False


def _retry_after_seconds(headers) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    if value is None or not value.strip().isdigit():
        # The HTTP-date form is rare for downloads; exponential back-off covers it.
        return None
    return float(value.strip())


def _content_range_start(headers) -> int | None:
    match = re.match(r"^\s*bytes\s+(\d+)-\d+/(\d+|\*)\s*$", headers.get("Content-Range") or "")
    return int(match.group(1)) if match else None


def _attempt(
    url: str,
    partial: _Partial,
    timeout: float,
    chunk_size: int,
    show_progress: bool,
    log: Callable[[str], None],
    deadline: float = math.inf,
) -> None:
    """Make one request and append its body to ``partial``; raise ``_Transient`` to retry.

    An attempt that runs longer than ``deadline`` seconds (a server that trickles bytes
    slower than the socket timeout can notice) ends; the next one resumes after the bytes
    already received.
    """
    started = time.monotonic()
    headers = {"User-Agent": USER_AGENT}
    if partial.size:
        headers["Range"] = f"bytes={partial.size}-"
    local = urllib.parse.urlsplit(url).scheme == "file"
    try:
        response = urllib.request.urlopen(
            urllib.request.Request(url, headers=headers), timeout=timeout
        )
    except urllib.error.HTTPError as exc:
        retry_after = _retry_after_seconds(exc.headers)
        exc.close()
        if exc.code == 416 and partial.size:
            reason = f"HTTP 416 for the bytes after {partial.size}; starting over"
            partial.reset()
            raise _Transient(reason) from exc
        if exc.code == 429 or exc.code >= 500:
            raise _Transient(f"HTTP {exc.code} {exc.reason}", retry_after) from exc
        raise DownloadError(
            f"{url} answered HTTP {exc.code} {exc.reason}; not retried, since a client error "
            "does not go away by asking again. Check the URL (and the manifest it came from)."
        ) from exc
    except _NETWORK_ERRORS as exc:
        if local:
            raise DownloadError(f"cannot read {url}: {exc}") from exc
        raise _Transient(f"{type(exc).__name__}: {exc}") from exc

    with response:
        if partial.size:
            if response.status == 206 and _content_range_start(response.headers) == partial.size:
                partial.resumed = True
                log(f"resuming {url} at byte {partial.size}")
            elif response.status == 206:
                partial.reset()
                raise _Transient("the server sent a byte range other than the one asked for")
            else:
                log(f"{url} ignored the Range request; starting over from byte 0")
                partial.reset()
        length = response.headers.get("Content-Length")
        expected_size = partial.size + int(length) if length and length.isdigit() else None
        with (
            open(partial.path, "ab") as handle,
            tqdm(
                total=expected_size,
                initial=partial.size,
                unit="B",
                unit_scale=True,
                desc=Path(urllib.parse.urlsplit(url).path).name,
                disable=not show_progress,
            ) as bar,
        ):
            while True:
                try:
                    block = response.read(chunk_size)
                except _NETWORK_ERRORS as exc:
                    raise _Transient(f"{type(exc).__name__} while reading: {exc}") from exc
                if not block:
                    break
                handle.write(block)
                partial.update(block)
                bar.update(len(block))
                if time.monotonic() - started > deadline:
                    raise _Transient(
                        f"the attempt ran past its deadline of {deadline:g} s ({partial.size} "
                        "bytes so far)"
                    )
    if expected_size is not None and partial.size != expected_size:
        raise _Transient(f"truncated body: {partial.size} of {expected_size} bytes")


def _refuse_unverifiable(url: str, part: Path, size: int, min_bytes: int) -> None:
    """Without an md5, refuse what is surely not the file: a short body or an HTML page."""
    with open(part, "rb") as handle:
        head = handle.read(512).lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:256]:
        raise DownloadError(
            f"{url} sent an HTML page ({size} bytes), not the data file: probably an error, "
            "login or landing page. Check the URL in a browser, or place the file by hand"
        )
    if size < min_bytes:
        raise DownloadError(
            f"{url} sent only {size} bytes (fewer than min_bytes={min_bytes}) and no md5 is "
            "known to vouch for them; check the URL, or give the md5 in the manifest"
        )


def fetch(
    url: str,
    dest: str | os.PathLike,
    md5: str | None = None,
    *,
    retries: int = 5,
    backoff: float = 1.0,
    max_backoff: float = 60.0,
    timeout: float = 60.0,
    deadline: float = 3600.0,
    min_bytes: int = 1024,
    chunk_size: int = 1 << 20,
    progress: bool | None = None,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Download ``url`` to ``dest``, verified by md5, resumed and retried where that helps.

    Bytes go to ``dest + ".part"``, which is renamed onto ``dest`` only once its md5 is the
    expected one, so ``dest`` is either absent or complete. A ``.part`` left by an
    interrupted earlier run (killed process) is continued with a Range request.

    Retried, after ``min(max_backoff, backoff * 2**(attempt - 1))`` seconds or the
    server's ``Retry-After`` when that is at most ``max_backoff``: connection errors (DNS,
    refused, reset), timeouts, bodies shorter than their Content-Length, HTTP 5xx and 429.
    A retry after a partial body asks for the rest with ``Range: bytes=<have>-``; a 206
    answer with the matching ``Content-Range`` is appended, a 200 answer starts over.
    Not retried: other 4xx answers and unreadable ``file://`` paths. A checksum mismatch
    after a resumed transfer is retried once from byte 0 (the remote file may have changed
    between the two requests); otherwise it is final.

    When ``md5`` is None the checksum is taken on the first download and written to
    ``dest + ".md5"`` (``md5sum -c`` format); later calls check ``dest`` against it.
    If ``dest`` already holds the expected bytes, nothing is fetched.

    Parameters
    ----------
    url : str
        ``http://``, ``https://`` or ``file://`` URL.
    dest : str or PathLike
        Final path. Its folder is created if missing.
    md5 : str, optional
        Expected md5, 32 hexadecimal characters (default None: unknown, see above; an
        empty string means the same).
    retries : int, optional
        Further attempts after the first one fails (default 5, so at most 6 requests).
    backoff : float, optional
        First delay between attempts in seconds, doubled each time (default 1.0).
    max_backoff : float, optional
        Cap on one delay in seconds, and on a ``Retry-After`` that is honoured (default 60).
    timeout : float, optional
        Socket timeout in seconds for connecting and for each read (default 60).
    deadline : float, optional
        Longest one attempt may take, in seconds (default 3600); a transfer that trickles
        bytes is cut there and the next attempt resumes it.
    min_bytes : int, optional
        Without a known md5, a body shorter than this is refused, and so is an HTML page
        (an error or login page served with status 200), default 1024.
    chunk_size : int, optional
        Bytes read and written at a time (default 1 MiB).
    progress : bool, optional
        Show a tqdm bar (default None: only when stderr is a terminal).
    log : callable, optional
        Receives one line per event (resume, retry, restart); default the module's
        ``logging`` logger at INFO level.

    Returns
    -------
    dict
        ``url``, ``path`` (str), ``md5`` (of the file), ``bytes`` (file size),
        ``attempts`` (requests made; 0 when ``dest`` was already complete), ``resumed``
        (True when the final file was assembled with a Range request).

    Raises
    ------
    ValueError
        Bad arguments (URL scheme, md5 format, negative numbers).
    ChecksumError
        The bytes received do not have the expected md5; neither ``dest`` nor the
        ``.part`` file is left behind.
    DownloadError
        The file could not be fetched (client error, or network failure after every
        retry); no ``.part`` file is left behind.
    """
    scheme = urllib.parse.urlsplit(url).scheme if isinstance(url, str) else ""
    if scheme not in URL_SCHEMES:
        raise ValueError(f"url is {url!r}; expected a URL starting with one of {URL_SCHEMES}")
    md5 = check_md5_text(md5, "md5") if md5 else None
    if not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries is {retries!r}; expected an integer >= 0")
    for name, value in (("backoff", backoff), ("max_backoff", max_backoff)):
        if not value >= 0:
            raise ValueError(f"{name} is {value!r}; expected a number of seconds >= 0")
    if not timeout > 0:
        raise ValueError(f"timeout is {timeout!r}; expected a number of seconds > 0")
    if not deadline > 0:
        raise ValueError(f"deadline is {deadline!r}; expected a number of seconds > 0")
    if not isinstance(min_bytes, int) or min_bytes < 0:
        raise ValueError(f"min_bytes is {min_bytes!r}; expected an integer >= 0")
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size is {chunk_size!r}; expected an integer >= 1")
    log = log or LOGGER.info
    show_progress = sys.stderr.isatty() if progress is None else bool(progress)

    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    sidecar = dest.with_name(dest.name + ".md5")
    expected = md5 if md5 is not None else read_sidecar(sidecar)
    result = {"url": url, "path": str(dest)}

    if dest.exists():
        have = file_md5(dest, chunk_size)
        if expected is None or have == expected:
            if expected is None:
                write_text_atomic(sidecar, f"{have}  {dest.name}\n")
            size = dest.stat().st_size
            return {**result, "md5": have, "bytes": size, "attempts": 0, "resumed": False}
        log(f"{dest} has md5 {have}, not {expected}; downloading it again")

    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = _Partial(part, chunk_size, url)
    attempts = 0
    restarted_after_mismatch = False
    try:
        while True:
            attempts += 1
            try:
                _attempt(url, partial, timeout, chunk_size, show_progress, log, deadline)
            except _Transient as exc:
                if attempts > retries:
                    raise DownloadError(
                        f"could not fetch {url} to {dest} after {attempts} attempt(s); last "
                        f"error: {exc.reason}. Check the network connection, or fetch the file "
                        f"by other means and place it by hand at {dest} (it is then checked "
                        "against the md5, where one is known)."
                    ) from (exc.__cause__ or exc)
                delay = min(max_backoff, backoff * 2 ** (attempts - 1))
                if exc.retry_after is not None and exc.retry_after <= max_backoff:
                    delay = exc.retry_after
                log(f"{url}: {exc.reason}; retry {attempts}/{retries} in {delay:.2f} s")
                time.sleep(delay)
                continue
            received = partial.hasher.hexdigest()
            if expected is None:
                _refuse_unverifiable(url, part, partial.size, min_bytes)
                break
            if received == expected:
                break
            if partial.resumed and not restarted_after_mismatch:
                log(f"{url}: md5 {received} after a resumed transfer; fetching it whole once more")
                partial.reset()
                restarted_after_mismatch = True
                continue
            origin = "the md5 argument" if md5 is not None else f"recorded in {sidecar}"
            raise ChecksumError(
                f"checksum mismatch for {url}: expected md5 {expected} ({origin}), received "
                f"{received} ({partial.size} bytes); the download was deleted. If the remote "
                "file changed on purpose, update the expected md5 (or delete the .md5 file)."
            )
        os.replace(part, dest)
        partial.origin.unlink(missing_ok=True)
    except Exception:
        # KeyboardInterrupt and SystemExit keep the .part so that the next run resumes it.
        part.unlink(missing_ok=True)
        partial.origin.unlink(missing_ok=True)
        raise
    if md5 is None:
        write_text_atomic(sidecar, f"{received}  {dest.name}\n")
    return {
        **result,
        "md5": received,
        "bytes": partial.size,
        "attempts": attempts,
        "resumed": partial.resumed,
    }
