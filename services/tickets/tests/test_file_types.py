"""Judging a file's type: shared signatures (ZIP and Office documents), and refusals that say
what is allowed, with a stable code and the figures an interface needs to translate them."""

from __future__ import annotations

import io
import zipfile

import pytest

from helpdesk_kit import filetypes
from helpdesk_tickets.errors import InvalidTicket

ZIP_TYPES = ["application/zip", "image/png"]


def small_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("notes.txt", "hello")
    return buf.getvalue()


def test_a_small_zip_named_zip_is_taken_for_a_zip_archive_not_a_word_document() -> None:
    assert filetypes.judge_file("logs.zip", small_zip(), ZIP_TYPES, error=InvalidTicket) == "application/zip"


def test_a_refused_type_names_the_allowed_ones_in_its_message_and_params() -> None:
    with pytest.raises(InvalidTicket) as err:
        filetypes.judge_file("logs.zip", small_zip(), ["image/png", "application/pdf"], error=InvalidTicket)
    e = err.value.errors[0]
    assert err.value.key == "file.refused"
    assert e.code == "type_not_allowed"
    assert e.params["allowed"] == ".png, .pdf"
    assert ".png, .pdf" in e.message


def test_the_size_limit_is_told_in_megabytes_with_the_exact_figure_as_a_parameter() -> None:
    e = filetypes.too_large(10 * 1024 * 1024).errors[0]
    assert e.message == "larger than 10 MB"
    assert (e.code, e.params) == ("too_large", {"max_bytes": 10485760})


@pytest.mark.parametrize(
    ("n", "text"), [(512, "512 B"), (2048, "2 KB"), (1536 * 1024, "1.5 MB"), (3 << 30, "3 GB")]
)
def test_sizes_read_in_the_largest_whole_unit(n: int, text: str) -> None:
    assert filetypes.human_size(n) == text
