"""Errors a user can meet, each with a code, what is wrong and what to do."""

from __future__ import annotations


class DocanalyzerError(Exception):
    """A problem with an input or a setting, reported as one clear line."""

    code = "E000"

    def __init__(self, what: str, fix: str, file: str | None = None):
        self.what, self.fix, self.file = what, fix, file
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = f"{self.file}: " if self.file else ""
        return f"{where}[{self.code}] {self.what}。{self.fix}"


class InputError(DocanalyzerError):
    """An input file that cannot be read."""

    code = "E100"


class UnsupportedFormat(InputError):
    code = "E101"


class EmptyFile(InputError):
    code = "E102"


class TooLarge(InputError):
    code = "E103"


class CorruptFile(InputError):
    code = "E104"


class Encrypted(InputError):
    code = "E105"


class NoTextLayer(InputError):
    code = "E106"


class MissingTool(InputError):
    code = "E107"


class ModelError(DocanalyzerError):
    """The classifier model or taxonomy cannot be used."""

    code = "E200"


class TextError(DocanalyzerError):
    """Text given to the classifier that it cannot classify."""

    code = "E300"


class ConfigError(DocanalyzerError):
    """A setting whose value cannot be used: named with what it accepts."""

    code = "E010"
