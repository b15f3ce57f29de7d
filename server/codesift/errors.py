"""Every error codesift raises on purpose, at the bottom layer so that the CLI and the
language server catch one base class instead of importing deep modules.

``UserError`` is bad input the user can fix (exit code 2 in the CLI, "invalid params"
in the server); ``ModelError`` is a broken or missing model (search carries on without
it); ``Cancelled`` stops a search that a newer one replaced.
"""

from __future__ import annotations


class UserError(ValueError):
    """Bad input from the user; the message says what to fix."""


class ConfigError(UserError):
    """A configuration file or setting with an unknown key or a wrong type."""


class FilterError(UserError):
    """A path glob that cannot be compiled."""


class RegexError(UserError):
    """The pattern is not a valid (RE2) regular expression."""


class QueryFileError(UserError):
    """An evaluation query file that cannot be read or parsed."""


class IndexBusyError(UserError):
    """Another process holds the index lock."""


class IndexOwnerError(UserError):
    """The index folder holds the index of another root."""


class ModelError(RuntimeError):
    """A model that cannot be found, loaded or run."""


class Cancelled(Exception):
    """The caller asked the running search to stop."""
