"""The workbook writer: what an operator sees when opening members.xlsx (H4)."""

from __future__ import annotations

import io
import zipfile

from openpyxl import load_workbook

from qunyun.report.xlsx import workbook


def test_values_round_trip_and_text_is_never_a_formula() -> None:
    hostile = ["=HYPERLINK(\"http://x\",\"点我\")", "<script>alert(1)</script>", "a & b",
               "响铃\x07与\x00空字符", "+86 138", "x" * 40_000]
    data = workbook([
        ("成员 members", ("id", "name", "score", "ok", "empty"),
         [(i, name, i / 4, i % 2 == 0, None) for i, name in enumerate(hostile, start=1)]),
        ("分层待办 todo", ("tier",), [("leader",)]),
    ])
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["成员 members", "分层待办 todo"]
    rows = list(book["成员 members"].iter_rows(values_only=True))
    assert rows[0] == ("id", "name", "score", "ok", "empty")
    assert [r[1] for r in rows[1:5]] == [*hostile[:3], "响铃与空字符"]
    assert rows[5][1] == "+86 138" and len(rows[6][1]) == 32_767  # Excel's cell limit
    assert rows[1][0] == 1 and rows[2][2] == 0.5 and rows[2][3] is True and rows[1][4] is None
    for cell in book["成员 members"]["B"]:
        assert cell.data_type != "f"  # stored as text: nothing runs when the file opens
    assert list(book["分层待办 todo"].iter_rows(values_only=True)) == [("tier",), ("leader",)]
    assert book["成员 members"].freeze_panes == "A2"  # the header stays in view


def test_an_empty_sheet_and_a_long_sheet_name_are_valid() -> None:
    data = workbook([("x" * 40, ("only a header",), [])])
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["x" * 31]
    assert list(book.active.iter_rows(values_only=True)) == [("only a header",)]
