"""Helpers for testing katye and programs built on it: the command line and a real browser.

Like :mod:`numpy.testing`, this module is public so that the tests, the benchmarks and
the scripts share one way of doing each thing:

- :func:`run_cli` runs ``katye`` in a new Python process, for what only a real process
  shows: exit codes, stderr apart from stdout, stdin, the terminal's encoding;
- :func:`invoke` runs ``katye`` in this process through click's ``CliRunner``, for
  everything else (help texts, printed results, written files), much faster;
- :func:`chromium` opens Debian's Chromium (:data:`CHROMIUM`) through Playwright, with
  :data:`ARGS`, for the maps as a person sees them.

Importing this module loads neither click, Playwright nor the analysis libraries; each
helper imports what it needs when it is called.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from click.testing import Result
    from playwright.sync_api import Browser

__all__ = ["ARGS", "CHROMIUM", "chromium", "invoke", "run_cli"]

CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium (``apt-get install chromium``), the browser katye's maps are tested in."""

ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
)
"""Chromium's command-line flags: runs in a container, without a GPU, and asks nothing of the network."""


def run_cli(
    *args: str | os.PathLike[str],
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str | None] | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``katye`` with `args` in a new Python process and capture what it prints.

    Parameters
    ----------
    *args : str or path-like
        The command line after ``katye``, e.g. ``"validate", path, "--json"``.
    cwd : str or path-like, optional
        The working directory of the process; this process's by default.
    env : mapping of str to str or None, optional
        Environment variables to set on top of this process's environment; a value of
        ``None`` removes that variable.
    input : str, optional
        Text written to the process's stdin, which is then closed. Without it the
        process reads nothing (stdin is ``/dev/null``).

    Returns
    -------
    subprocess.CompletedProcess
        With ``returncode`` and the text of ``stdout`` and ``stderr``, apart. A non-zero
        exit code is returned, not raised.

    See Also
    --------
    invoke : The same in this process, faster, for tests that need no real process.

    Examples
    --------
    >>> result = run_cli("--version")
    >>> result.returncode, result.stdout.startswith("katye ")
    (0, True)

    """
    environment = None
    if env is not None:
        environment = dict(os.environ)
        for name, value in env.items():
            if value is None:
                environment.pop(name, None)
            else:
                environment[name] = value
    return subprocess.run(
        [sys.executable, "-m", "katye.cli", *(os.fspath(arg) for arg in args)],
        cwd=cwd,
        env=environment,
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )


def invoke(*args: str | os.PathLike[str], **kwargs: Any) -> Result:
    """Run ``katye`` with `args` in this process through click's ``CliRunner``.

    Parameters
    ----------
    *args : str or path-like
        The command line after ``katye``, e.g. ``"geodata", "list"``.
    **kwargs
        Passed to :meth:`click.testing.CliRunner.invoke`: ``input``, ``env``,
        ``standalone_mode`` … ``catch_exceptions`` is ``False`` unless given, so that an
        unexpected exception fails the test with its traceback; katye's own errors and
        exit codes are still returned in the result.

    Returns
    -------
    click.testing.Result
        With ``exit_code``, ``stdout`` and ``stderr`` apart, and ``output`` (both, in
        the order they were printed).

    See Also
    --------
    run_cli : The same in a new process, for exit codes, stdin and encodings as a user meets them.

    Notes
    -----
    The ``katye`` logger's handlers and level are put back as they were afterwards: the
    command points them at the runner's stderr, which is closed once it returns.

    Examples
    --------
    >>> result = invoke("--help")
    >>> result.exit_code, "Examples:" in result.stdout
    (0, True)

    """
    import inspect

    from click.testing import CliRunner

    from katye.cli import main

    # click < 8.2 mixes stderr into stdout unless told not to; 8.2 and later keep both apart
    # (and their interleaving in `output`) and no longer take mix_stderr.
    runner_options: dict[str, Any] = {}
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        runner_options["mix_stderr"] = False
    kwargs.setdefault("catch_exceptions", False)
    logger = logging.getLogger("katye")
    handlers, level = logger.handlers[:], logger.level
    try:
        return CliRunner(**runner_options).invoke(main, [os.fspath(arg) for arg in args], **kwargs)
    finally:
        logger.handlers, logger.level = handlers, level


@contextmanager
def chromium(*, headless: bool = True) -> Iterator[Browser]:
    """Open Debian's Chromium (:data:`CHROMIUM`) through Playwright, with :data:`ARGS`.

    Parameters
    ----------
    headless : bool, default True
        Run without a window; ``False`` shows one, to watch what a test does.

    Yields
    ------
    playwright.sync_api.Browser
        The browser, closed when the ``with`` block ends.

    Raises
    ------
    RuntimeError
        If :data:`CHROMIUM` is not installed.

    Notes
    -----
    Playwright's own downloaded browsers are not used: the maps are tested in the
    Chromium a Debian user has. Pages route nothing to the network by themselves; a test
    that must prove a map is offline still aborts requests (``page.route``).

    Examples
    --------
    >>> with chromium() as browser:  # doctest: +SKIP
    ...     page = browser.new_page()
    ...     page.goto(path.as_uri())

    """
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is not installed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(ARGS), headless=headless)
        try:
            yield browser
        finally:
            browser.close()
