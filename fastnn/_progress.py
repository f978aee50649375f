"""Training progress on stderr: a bar (tqdm's when installed) or one line per epoch.

The training engine (:func:`fastnn.engine.train`) calls a :class:`Progress` between chunks of
epochs, never inside them, so reporting costs the kernels nothing. ``verbose=1`` draws a bar —
tqdm's if it is installed (imported only then), otherwise one line rewritten in place — with the
epoch, the training loss, the validation loss and the elapsed time; ``verbose=2`` prints one
line per epoch. Everything goes to ``sys.stderr`` (tqdm's default too), leaving stdout to the
program.

A :class:`Progress` may span several :func:`~fastnn.engine.train` calls (a caller that trains a
few epochs at a time, as the scikit-learn estimators do): pass the same instance as
``verbose=`` to each call and close it at the end; it counts the epochs across the calls.
"""

from __future__ import annotations

import numbers
import sys
import time
from typing import IO, Any

import numpy as np

__all__ = ["Progress"]


def _seconds(seconds: float) -> str:
    """``4.2s``, ``1:05`` or ``1:02:05``."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Report the epochs of a training run as they complete.

    Parameters
    ----------
    verbose : {1, 2}
        1: a progress bar (tqdm's when installed, else one updating line); 2: one line per epoch.
    total : int, optional
        Epochs expected in all (the bar's length); default: the epochs of the first run, grown by
        each later run's.
    desc : str
        What the bar or lines start with.
    file : file object, optional
        Where to write; default ``sys.stderr`` (looked up when writing).
    """

    def __init__(self, verbose: int = 1, *, total: int | None = None, desc: str = "fit", file=None):
        if verbose not in (1, 2) or isinstance(verbose, float):
            raise ValueError(f"Progress: verbose must be 1 or 2, got {verbose!r}")
        self.verbose = int(verbose)
        self.total = total
        self.desc = desc
        self._file = file
        self._offset = 0  # epochs completed in earlier runs
        self._shown = 0  # epochs reported so far
        self._start: float | None = None
        self._bar: Any = None
        self._width = 0  # length of the plain line last written
        self._closed = False

    @classmethod
    def from_verbose(cls, verbose: object, **kwargs) -> Progress | None:
        """The reporter a ``verbose=`` argument asks for: None for 0 (or False)."""
        if isinstance(verbose, (bool, np.bool_)):
            verbose = int(verbose)
        if not isinstance(verbose, numbers.Integral):
            raise TypeError(
                "verbose must be 0 (silent), 1 (a progress bar) or 2 (one line per epoch), "
                f"got {type(verbose).__name__} {verbose!r}"
            )
        level = int(verbose)
        if level not in (0, 1, 2):
            raise ValueError(
                "verbose must be 0 (silent), 1 (a progress bar) or 2 (one line per epoch), "
                f"got {level}"
            )
        return None if level == 0 else cls(level, **kwargs)

    @property
    def file(self) -> IO[str]:
        return sys.stderr if self._file is None else self._file

    # --- what the engine calls ------------------------------------------------------------------

    def begin(self, epochs: int) -> None:
        """A run of ``epochs`` epochs starts."""
        if self._start is None:
            self._start = time.perf_counter()
        expected = self._offset + epochs
        if self.total is None or self.total < expected:
            self.total = expected
            if self._bar is not None:
                self._bar.total = expected
                self._bar.refresh()

    def update(self, history) -> None:
        """``history`` (of the current run) holds the epochs completed so far."""
        done = self._offset + len(history.loss)
        if done <= self._shown:
            return
        first = self._shown - self._offset  # index in this run's history of the first new epoch
        elapsed = time.perf_counter() - (self._start or time.perf_counter())
        if self.verbose == 2:
            self._lines(history, first, elapsed)
        else:
            self._bar_update(history, done, elapsed)
        self._shown = done

    def end(self, done: int) -> None:
        """The current run ended after ``done`` epochs."""
        self._offset += done
        self._shown = max(self._shown, self._offset)

    def close(self) -> None:
        """Finish the bar (a final newline); further calls do nothing."""
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.close()
        elif self._width:
            self.file.write("\n")
            self.file.flush()

    # --- output -------------------------------------------------------------------------------

    def _losses(self, history, i: int, digits: int) -> str:
        text = f"loss {float(history.loss[i]):.{digits}g}"
        if history.val_loss is not None:
            text += f", val_loss {float(history.val_loss[i]):.{digits}g}"
        return text

    def _lines(self, history, first: int, elapsed: float) -> None:
        width = len(str(self.total))
        out = [
            f"{self.desc}: epoch {self._offset + i + 1:>{width}}/{self.total}: "
            f"{self._losses(history, i, 6)} ({_seconds(elapsed)})\n"
            for i in range(first, len(history.loss))
        ]
        self.file.write("".join(out))
        self.file.flush()

    def _bar_update(self, history, done: int, elapsed: float) -> None:
        last = len(history.loss) - 1
        if self._bar is None and self._width == 0:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(
                    total=self.total,
                    desc=self.desc,
                    unit="epoch",
                    file=self._file,  # None: tqdm's default, stderr
                    dynamic_ncols=True,
                    mininterval=0.1,
                )
        if self._bar is not None:
            self._bar.set_postfix_str(self._losses(history, last, 4), refresh=False)
            self._bar.update(done - self._bar.n)
            return
        line = f"{self.desc}: epoch {done}/{self.total}, {self._losses(history, last, 4)}, "
        line += f"elapsed {_seconds(elapsed)}"
        pad = " " * max(0, self._width - len(line))
        self.file.write("\r" + line + pad)
        self.file.flush()
        self._width = len(line)
