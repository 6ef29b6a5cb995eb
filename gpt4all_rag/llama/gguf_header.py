"""Read a GGUF file's header (metadata and tensor table) without loading its weights."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from gpt4all_rag.errors import InvalidModelFileError

GGUF_MAGIC = b"GGUF"
_LFS_POINTER_PREFIX = b"version https://git-lfs"
_DEFAULT_ALIGNMENT = 32
_MAX_STRING_BYTES = 64 * 1024 * 1024
_MAX_COUNT = 1 << 32

# GGUF metadata value types -> struct format (scalars only).
_SCALAR_FORMATS = {
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i",
    6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d",
}  # fmt: skip
_STRING, _ARRAY = 8, 9

# ggml tensor types -> (elements per block, bytes per block).
_TENSOR_BLOCKS = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
    9: (32, 36), 10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210),
    15: (256, 292), 16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18),
    21: (256, 110), 22: (256, 82), 23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8),
    28: (1, 8), 29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66), 39: (32, 17),
}  # fmt: skip

# llama.cpp's general.file_type enum -> the quantization name users know.
FILE_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
    11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
    17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS",
    23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M",
    30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4_MOE",
}  # fmt: skip


@dataclass(frozen=True)
class GGUFHeader:
    """What a GGUF header says about its model."""

    version: int
    metadata: dict[str, Any] = field(repr=False)
    tensor_count: int
    data_end: int
    """Byte offset where the last tensor's data ends; a shorter file is truncated."""

    @property
    def architecture(self) -> str:
        """Model architecture, such as ``llama`` or ``gemma3``."""
        return str(self.metadata.get("general.architecture", "unknown"))

    @property
    def context_length(self) -> int | None:
        """Context length the model was trained with."""
        value = self.metadata.get(f"{self.architecture}.context_length")
        return int(value) if value is not None else None

    @property
    def chat_template(self) -> str | None:
        """The Jinja chat template shipped in the file, if any."""
        value = self.metadata.get("tokenizer.chat_template")
        return str(value) if value else None

    @property
    def quantization(self) -> str:
        """Quantization name (``Q4_K_M`` ...) from ``general.file_type``."""
        file_type = self.metadata.get("general.file_type")
        if file_type is None:
            return "unknown"
        return FILE_TYPES.get(int(file_type), f"type {file_type}")

    @property
    def name(self) -> str | None:
        """The model's own name from ``general.name``."""
        value = self.metadata.get("general.name")
        return str(value) if value else None

    @property
    def is_embedding_model(self) -> bool:
        """True for encoder models meant for embeddings (pooling declared, e.g. BERT)."""
        arch = self.architecture
        return f"{arch}.pooling_type" in self.metadata or arch in {"bert", "nomic-bert"}


def read_header(path: str | Path) -> GGUFHeader:
    """Read the header of the GGUF file at ``path``.

    Args:
        path: The file to read.

    Returns:
        The parsed header; array values with more than 64 items are skipped (tokenizer vocabularies).

    Raises:
        InvalidModelFileError: The file is missing, not a file, not GGUF, a git-lfs pointer or truncated.
    """
    file = Path(path)
    if not file.exists():
        raise InvalidModelFileError(
            f"{file}: no such file. Check the path or run `gpt4all-rag models`."
        )
    if not file.is_file():
        raise InvalidModelFileError(f"{file}: is a directory, not a GGUF model file.")
    size = file.stat().st_size
    try:
        with file.open("rb") as stream:
            header = _parse(stream, file)
    except (struct.error, EOFError) as error:
        raise InvalidModelFileError(
            f"{file}: the GGUF header is truncated ({size} bytes on disk); download the file again."
        ) from error
    except OSError as error:
        raise InvalidModelFileError(f"{file}: cannot be read ({error.strerror}).") from error
    if header.data_end > size:
        raise InvalidModelFileError(
            f"{file}: truncated, {size} bytes on disk but its tensors need {header.data_end}; "
            "download the file again."
        )
    return header


def _parse(stream: BinaryIO, file: Path) -> GGUFHeader:
    magic = stream.read(4)
    if magic != GGUF_MAGIC:
        raise InvalidModelFileError(_wrong_magic_message(file, magic + stream.read(32)))
    version = _unpack(stream, "<I")
    if version not in (1, 2, 3):
        raise InvalidModelFileError(f"{file}: GGUF version {version} is not supported.")
    count_format = "<I" if version == 1 else "<Q"
    tensor_count = _unpack(stream, count_format)
    kv_count = _unpack(stream, count_format)
    if tensor_count > _MAX_COUNT or kv_count > _MAX_COUNT:
        raise InvalidModelFileError(f"{file}: the GGUF header is corrupt (impossible counts).")
    metadata: dict[str, Any] = {}
    for _ in range(kv_count):
        key = _read_string(stream, count_format)
        metadata[key] = _read_value(stream, _unpack(stream, "<I"), count_format)
    data_end = _tensor_data_end(stream, tensor_count, count_format, metadata)
    return GGUFHeader(version, metadata, tensor_count, data_end)


def _wrong_magic_message(file: Path, head: bytes) -> str:
    if head.startswith(_LFS_POINTER_PREFIX):
        return (
            f"{file}: is a git-lfs pointer, not the model itself; fetch the real file "
            "(git lfs pull) or download it again."
        )
    if not head:
        return f"{file}: is empty (0 bytes), not a GGUF model file."
    return f"{file}: is not a GGUF model file (it does not start with the GGUF magic bytes)."


def _tensor_data_end(
    stream: BinaryIO, tensor_count: int, count_format: str, metadata: dict[str, Any]
) -> int:
    end_offset = 0
    for _ in range(tensor_count):
        _read_string(stream, count_format)
        n_dims = _unpack(stream, "<I")
        elements = 1
        for _ in range(n_dims):
            elements *= _unpack(stream, count_format)
        tensor_type = _unpack(stream, "<I")
        offset = _unpack(stream, "<Q")
        block, block_bytes = _TENSOR_BLOCKS.get(tensor_type, (1, 0))
        end_offset = max(end_offset, offset + max(1, elements // block * block_bytes))
    alignment = int(metadata.get("general.alignment", _DEFAULT_ALIGNMENT)) or _DEFAULT_ALIGNMENT
    data_start = -(-stream.tell() // alignment) * alignment
    return data_start + end_offset if tensor_count else stream.tell()


def _unpack(stream: BinaryIO, fmt: str) -> Any:
    size = struct.calcsize(fmt)
    raw = stream.read(size)
    if len(raw) < size:
        raise EOFError
    return struct.unpack(fmt, raw)[0]


def _read_string(stream: BinaryIO, count_format: str) -> str:
    length = _unpack(stream, count_format)
    if length > _MAX_STRING_BYTES:
        raise EOFError
    raw = stream.read(length)
    if len(raw) < length:
        raise EOFError
    return raw.decode("utf-8", errors="replace")


def _read_value(stream: BinaryIO, value_type: int, count_format: str) -> Any:
    if value_type in _SCALAR_FORMATS:
        return _unpack(stream, _SCALAR_FORMATS[value_type])
    if value_type == _STRING:
        return _read_string(stream, count_format)
    if value_type == _ARRAY:
        item_type = _unpack(stream, "<I")
        count = _unpack(stream, count_format)
        if count > _MAX_COUNT:
            raise EOFError
        if item_type in _SCALAR_FORMATS and count > 64:
            stream.seek(struct.calcsize(_SCALAR_FORMATS[item_type]) * count, 1)
            return None
        items = [_read_value(stream, item_type, count_format) for _ in range(count)]
        return items if count <= 64 else None
    raise EOFError
