"""A one-sheet .xlsx workbook written column-wise, byte for byte reproducible.

CRM systems export member lists as Excel workbooks. A spreadsheet library would build one
Python object per cell; here the sheet's XML is assembled with Arrow string functions over
whole columns, and the package is zipped with fixed timestamps and document properties so
the same rows always give the same bytes. Text cells are inline strings; dates and
date-times are serial numbers with a date format, as Excel itself stores them.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from newretail.simulate.writers import joined_bytes

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
#: days from Excel's day zero (1899-12-30) to 1970-01-01
_EXCEL_EPOCH = 25_569
_DATE_STYLE, _DATETIME_STYLE = 1, 2


@dataclass(frozen=True)
class XlsxColumn:
    """One column: ``kind`` is "text", "date" (days since 1970-01-01) or "datetime"
    (seconds since 1970-01-01, local clock)."""

    header: str
    values: pa.Array
    kind: str = "text"


def write_xlsx(path: Path, sheet: str, columns: list[XlsxColumn], *, created: datetime) -> None:
    """Write the workbook; ``created`` fixes the document's created / modified times."""
    n = len(columns[0].values) if columns else 0
    rows = pc.cast(pa.array(np.arange(2, n + 2, dtype=np.int64)), pa.string())
    cells = [_cells(column, _letters(i), rows) for i, column in enumerate(columns)]
    body = pc.binary_join_element_wise('<row r="', rows, '">', *cells, "</row>\n", "")
    header = "".join(
        f'<c r="{_letters(i)}1" t="inlineStr"><is><t>{_escape_text(c.header)}</t></is></c>'
        for i, c in enumerate(columns)
    )
    sheet_xml = (
        f'{_XML}<worksheet xmlns="{_MAIN}"><sheetData>\n<row r="1">{header}</row>\n'.encode()
        + joined_bytes(body)
        + b"</sheetData></worksheet>"
    )
    parts = {
        "[Content_Types].xml": _content_types(),
        "_rels/.rels": _root_rels(),
        "docProps/app.xml": _app(),
        "docProps/core.xml": _core(created),
        "xl/workbook.xml": _workbook(sheet),
        "xl/_rels/workbook.xml.rels": _workbook_rels(),
        "xl/styles.xml": _styles(),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    stamp = (created.year, created.month, created.day, 0, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)


def _cells(column: XlsxColumn, letter: str, rows: pa.Array) -> pa.Array:
    ref = pc.binary_join_element_wise(f'<c r="{letter}', rows, '"', "")
    values = column.values
    if column.kind == "text":
        text = _escape(pc.cast(values, pa.string()))
        cell = pc.binary_join_element_wise(ref, ' t="inlineStr"><is><t>', text, "</t></is></c>", "")
    else:
        number = np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)
        if column.kind == "date":
            serial = number + _EXCEL_EPOCH
            style = _DATE_STYLE
        else:
            serial = number / 86_400 + _EXCEL_EPOCH
            style = _DATETIME_STYLE
        valid = pa.array(~np.isnan(serial))
        text = pc.if_else(valid, pc.cast(pa.array(np.nan_to_num(serial)), pa.string()), None)
        cell = pc.binary_join_element_wise(ref, f' s="{style}"><v>', text, "</v></c>", "")
    return pc.fill_null(cell, "")


def _escape(text: pa.Array) -> pa.Array:
    for old, new in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = pc.replace_substring(text, old, new)
    return text


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _letters(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _content_types() -> bytes:
    kinds = "application/vnd.openxmlformats-officedocument"
    return (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" '
        f'ContentType="{kinds}.spreadsheetml.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" '
        f'ContentType="{kinds}.spreadsheetml.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{kinds}.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        f'<Override PartName="/docProps/app.xml" '
        f'ContentType="{kinds}.extended-properties+xml"/>'
        "</Types>"
    ).encode()


def _root_rels() -> bytes:
    return (
        f'{_XML}<Relationships xmlns="{_PKG}">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        f'<Relationship Id="rId2" Type="{_PKG}/metadata/core-properties" '
        'Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
        "</Relationships>"
    ).encode()


def _app() -> bytes:
    return (
        f'{_XML}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'extended-properties"><Application>newretail</Application></Properties>'
    ).encode()


def _core(created: datetime) -> bytes:
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f'{_XML}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    ).encode()


def _workbook(sheet: str) -> bytes:
    return (
        f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        f'<sheet name="{_escape_text(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ).encode()


def _workbook_rels() -> bytes:
    return (
        f'{_XML}<Relationships xmlns="{_PKG}">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
        "</Relationships>"
    ).encode()


def _styles() -> bytes:
    xf = 'fontId="0" fillId="0" borderId="0" xfId="0"'
    return (
        f'{_XML}<styleSheet xmlns="{_MAIN}">'
        '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
        '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
        "</borders>"
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        f'<cellXfs count="3"><xf numFmtId="0" {xf}/>'
        f'<xf numFmtId="164" {xf} applyNumberFormat="1"/>'
        f'<xf numFmtId="165" {xf} applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ).encode()
