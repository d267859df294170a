"""Exception hierarchy.

Every error a user can cause (bad input, bad model files, bad config) is a subclass of
:class:`LumenOCRError` with a message that says what is wrong and what to do. The CLI turns
these into one-line messages and a non-zero exit code, the server into 4xx responses.
"""

from __future__ import annotations


class LumenOCRError(Exception):
    """Base class of all errors lumenocr raises on purpose."""


# --- input -------------------------------------------------------------------------------
class InputError(LumenOCRError, ValueError):
    """The input (image, PDF, URL, array) cannot be used."""


class ImageDecodeError(InputError):
    """The bytes are not a decodable image (corrupt, truncated or empty)."""


class UnsupportedFormatError(InputError):
    """The file format is not one lumenocr reads."""


class ImageTooLargeError(InputError):
    """The image (or download) exceeds the configured size limit."""


class InputNotFoundError(InputError, FileNotFoundError):
    """A path, folder or glob matched nothing."""


class OutputError(LumenOCRError):
    """Results could not be written (disk full, no permission, a vanished folder)."""


# --- models ------------------------------------------------------------------------------
class ModelError(LumenOCRError):
    """A model file or model bundle cannot be used."""


class ModelNotFoundError(ModelError):
    """A named model is unknown or its carrier package is not installed."""


class ModelChecksumError(ModelError):
    """A model file's SHA-256 does not match the registry."""


class DictionaryError(ModelError):
    """A recognizer's character dictionary cannot be used."""


class DictionaryNotFoundError(DictionaryError, ModelNotFoundError):
    """No dictionary: its file does not exist, or the recognizer carries none and none was given."""


class DictionaryMismatchError(DictionaryError):
    """The character dictionary does not fit the recognizer's output size."""


# --- configuration -----------------------------------------------------------------------
class ConfigError(LumenOCRError, ValueError):
    """A configuration value or key is invalid."""
