"""Project errors. The CLI prints their message (no traceback unless --debug) and exits non-zero."""


class LinksageError(Exception):
    """Base class for errors a user can act on; the message says what and where."""

    exit_code = 1


class ConfigError(LinksageError):
    """The experiment config is invalid (unknown option, wrong type, leaky windows...)."""

    exit_code = 2


class DataValidationError(LinksageError):
    """Input tables break the data contract. `problems` lists every problem found."""

    exit_code = 2

    def __init__(self, message: str, problems: list | None = None):
        super().__init__(message)
        self.problems = problems or []


class MissingTableError(LinksageError):
    """An optional table a stage needs is absent."""

    exit_code = 2


class InsufficientDataError(LinksageError):
    """The data passed validation but cannot support a stage: e.g. no positives before
    t_gnn_end, or a window that holds no engagements. The message names table, window or option."""

    exit_code = 2
