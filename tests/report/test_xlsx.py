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


def test_formula_starts_are_inert_in_csv_and_text_in_xlsx() -> None:
    import csv

    from qunyun.report.write import members_csv

    starts = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1+1", "\r=1+1", "正常", "a=b"]
    report = {"members": [{"id": i, "name": n, "tier_reason": n} for i, n in enumerate(starts)]}
    rows = list(csv.DictReader(io.StringIO(members_csv(report).decode("utf-8-sig"),
                                           newline="")))
    assert [r["name"] for r in rows] == ["'" + s for s in starts[:6]] + ["正常", "a=b"]
    assert [r["tier_reason"] for r in rows] == [r["name"] for r in rows]
    book = load_workbook(io.BytesIO(workbook([("m", ("name",), [(s,) for s in starts])])))
    cells = list(book["m"]["A"])[1:]
    # inline strings: shown as written (XML reads a lone \r as a line break)
    assert [c.value for c in cells][:5] == starts[:5]
    assert all(c.data_type != "f" for c in cells)
