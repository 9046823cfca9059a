"""Click parameter types for numbers with bounds: finite, in range, or a one-line usage error.

``FiniteFloat(min, max, unit)`` and ``BoundedInt(min, max, unit)`` accept a number in
``[min, max]`` (``min_open=True`` excludes ``min``) and reject anything else, NaN and
infinities included, before a command runs. The error names the option and the unit
(``Error: --days: must be between 1 and 36500 days, got 1000000000``), quotes unparsable
input with :func:`empathy_core.redaction.shorten`, and exits 2 like every usage mistake.
"""

from __future__ import annotations

import math
from typing import Any

import click

from empathy_core.redaction import shorten

_SHOWN_DIGITS = 40


class NumberError(click.BadParameter):
    """A rejected numeric value: one line ``Error: <option>: <why>``, exit code 2."""

    def format_message(self) -> str:
        return self.message

    def show(self, file: Any = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True, file=file)


def _name(param: click.Parameter | None) -> str:
    """``--days`` for an option (its longest spelling), ``PATH`` for an argument, else ``value``."""
    if isinstance(param, click.Option) and param.opts:
        return max(param.opts, key=len)
    if param is not None:
        return param.human_readable_name
    return "value"


def _number(value: float | int) -> str:
    """``value`` as written in a message: ``1``, ``0.5``, ``36500``."""
    return f"{value:g}" if isinstance(value, float) else str(value)


class _Bounded(click.ParamType):
    """Shared parsing and range checks; subclasses say how text becomes a number."""

    kind = "number"

    def __init__(self, min: float, max: float, unit: str, *, min_open: bool = False) -> None:
        if not (math.isfinite(min) and math.isfinite(max) and min <= max):
            raise ValueError(f"bounds must be finite with min <= max, got {min!r}, {max!r}")
        self.min, self.max, self.unit, self.min_open = min, max, unit, min_open

    def _parse(self, text: str) -> float | int | None:
        """``text`` as a number, ``None`` when it is not one."""
        raise NotImplementedError

    def _range(self) -> str:
        low, high = _number(self.min), _number(self.max)
        if self.min_open:
            return f"more than {low} and at most {high} {self.unit}"
        return f"between {low} and {high} {self.unit}"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return self.name.upper()

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """``value`` as a number in range; any other input raises :class:`NumberError`."""
        name = _name(param)
        if isinstance(value, int | float) and not isinstance(value, bool):
            number: float | int | None = value
            text = repr(value)
        else:
            text = str(value).strip() if isinstance(value, str) else repr(value)
            number = self._parse(text) if isinstance(value, str) else None
            if number is None and not self._numeric(text):
                raise NumberError(f"{name}: expected {self.kind} of {self.unit}, got {shorten(value)}")
        shown = text if len(text) <= _SHOWN_DIGITS else shorten(value)
        if number is None or not math.isfinite(number) or not self._inside(number):
            raise NumberError(f"{name}: must be {self._range()}, got {shown}")
        return number

    def _inside(self, number: float | int) -> bool:
        above = number > self.min if self.min_open else number >= self.min
        return above and number <= self.max

    def _numeric(self, text: str) -> bool:
        """Whether unparsable ``text`` is still a number (too many digits to convert)."""
        return False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.min!r}, {self.max!r}, {self.unit!r})"


class FiniteFloat(_Bounded):
    """A finite float in ``[min, max]`` (``(min, max]`` with ``min_open``), in ``unit``."""

    name = "float"
    kind = "a number"

    def _parse(self, text: str) -> float | None:
        try:
            return float(text)
        except ValueError:
            return None

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """``value`` as a finite ``float`` in range."""
        return float(super().convert(value, param, ctx))


class BoundedInt(_Bounded):
    """A whole number in ``[min, max]`` (``(min, max]`` with ``min_open``), in ``unit``."""

    name = "integer"
    kind = "a whole number"

    def __init__(self, min: int, max: int, unit: str, *, min_open: bool = False) -> None:
        super().__init__(min, max, unit, min_open=min_open)

    def _parse(self, text: str) -> int | None:
        if self._numeric(text) and len(text) > _SHOWN_DIGITS:
            return None  # out of range whatever it is; int() would refuse 4300+ digits anyway
        try:
            return int(text)
        except ValueError:
            return None

    def _numeric(self, text: str) -> bool:
        digits = text[1:] if text[:1] in "+-" else text
        return digits.isascii() and digits.isdigit()

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """``value`` as an ``int`` in range (a float default such as ``3.0`` is not accepted)."""
        if isinstance(value, float):
            raise NumberError(f"{_name(param)}: expected a whole number of {self.unit}, got {value!r}")
        return super().convert(value, param, ctx)
