"""argparse ``type=`` helpers shared by the ``spikesim`` command and the models' sub-commands."""
from __future__ import annotations

import argparse
import math


def number(name: str, cast=float, minimum: float | None = None, inclusive: bool = True):
    """An argparse type: a finite ``cast`` value (``int`` or ``float``), optionally bounded below.

    Errors name the option and the text given, e.g. ``--cues must be >= 1, got '0'`` or,
    for an exclusive bound, ``--spacing must be a finite number > 0, got '-3'``.
    """
    kind = "an integer" if cast is int else "a number"

    def parse(text):
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be {kind}, got {text!r}") from None
        if minimum is not None and not inclusive:
            if not minimum < value < math.inf:
                raise argparse.ArgumentTypeError(
                    f"{name} must be a finite number > {minimum:g}, got {text!r}")
        elif not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{name} must be finite, got {text!r}")
        elif minimum is not None and value < minimum:
            raise argparse.ArgumentTypeError(f"{name} must be >= {minimum:g}, got {text!r}")
        return value
    return parse
