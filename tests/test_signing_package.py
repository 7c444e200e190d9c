"""The workbook's signature covers every part of the package: each forgery found in the attack on signed
returns, and random changes, are all reported as changed, with the sheet and cell where they can be named."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from signing_support import PASSPHRASE, make_key, setup_unit

from forms.periods import parse_period
from models import export, return_io
from models.db import Store, open_store
from models.signing.package import SIGNATURE_PART
from models.signing.provider import FileKeySigner

YEAR = str(dt.date.today().year - 1)
PERIOD = parse_period(YEAR)
Parts = dict[str, bytes]


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Path]]:
    from models.demo import fill_demo

    folder = tmp_path_factory.mktemp("宁洱 数据")
    store = open_store(folder / "store")
    setup_unit(store, "530821")
    fill_demo(store, seed=2025)
    make_key(store)
    (xlsx,) = export.export_return(store, PERIOD, folder / "U盘", ["xlsx"], signer=FileKeySigner.open(store, PASSPHRASE))
    yield store, xlsx
    store.close()


def read_parts(path: Path) -> tuple[list[str], Parts, bytes]:
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        return names, {n: zf.read(n) for n in names}, zf.comment


def write_parts(path: Path, names: list[str], parts: Parts, comment: bytes) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            if name in parts:
                zf.writestr(name, parts[name])
        for name in parts:
            if name not in names:
                zf.writestr(name, parts[name])
        zf.comment = comment


def forge(source: Path, target: Path, edit: Callable[[Parts], None]) -> Path:
    """Change the package's parts with ``edit`` and keep its signature (the zip comment) as it was."""
    names, parts, comment = read_parts(source)
    edit(parts)
    write_parts(target, names, parts, comment)
    return target


def sub(parts: Parts, name: str, old: str, new: str, count: int = 1) -> None:
    text = parts[name].decode("utf-8")
    assert old in text, (name, old)
    parts[name] = text.replace(old, new, count).encode("utf-8")


def regex_sub(parts: Parts, name: str, pattern: str, new: str) -> None:
    text = parts[name].decode("utf-8")
    changed, n = re.subn(pattern, new, text, count=1)
    assert n == 1, (name, pattern)
    parts[name] = changed.encode("utf-8")


def sheet_part(parts: Parts, sheet: str) -> str:
    book = parts["xl/workbook.xml"].decode("utf-8")
    rid = re.search(rf'<sheet name="{re.escape(sheet)}" sheetId="\d+"(?: state="\w+")? r:id="(rId\d+)"', book)
    assert rid is not None, sheet
    rels = parts["xl/_rels/workbook.xml.rels"].decode("utf-8")
    target = re.search(rf'Id="{rid.group(1)}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels)
    assert target is not None
    return "xl/" + (target.group(1) or target.group(2))


def shared_index(parts: Parts, text: str) -> int:
    strings = re.findall(r"<si>(.*?)</si>", parts["xl/sharedStrings.xml"].decode("utf-8"))
    return next(i for i, s in enumerate(strings) if re.sub(r"<[^>]+>", "", s) == text)


def row_xml(parts: Parts, sheet: str, row: int) -> str:
    text = parts[sheet_part(parts, sheet)].decode("utf-8")
    match = re.search(rf'<row r="{row}"[ >].*?</row>', text)
    assert match is not None
    return match.group(0)


def verify(store: Store, path: Path) -> return_io.ReadResult:
    return return_io.read_return(path, store)


def test_the_exported_workbook_verifies(signed: tuple[Store, Path]) -> None:
    store, xlsx = signed
    result = verify(store, xlsx)
    assert result.status == return_io.VALID, result.reason
    with zipfile.ZipFile(xlsx) as zf:
        assert "_signature" not in zf.read("xl/workbook.xml").decode("utf-8")
        assert zf.read(SIGNATURE_PART).startswith(b"CHANGAI-SIGNATURE/2\n")
        assert b'Extension="sig"' in zf.read("[Content_Types].xml")
        assert zf.comment == b""


def test_an_unchanged_copy_rezipped_still_verifies(signed: tuple[Store, Path], tmp_path: Path) -> None:
    """Recompressing or reordering the zip changes no part: still valid (the parts are what is signed)."""
    store, xlsx = signed
    names, parts, comment = read_parts(xlsx)
    copy = tmp_path / "重新压缩.xlsx"
    write_parts(copy, list(reversed(names)), parts, comment)
    assert verify(store, copy).status == return_io.VALID


# --- the forgeries of the attack, one test each --------------------------------------------------------

def _fill_empty_cell(parts: Parts) -> None:  # a cell filled in where the sheet was empty (表1, far right of the title)
    name = sheet_part(parts, "表1")
    sub(parts, name, '<c r="L1" s="8"/>', '<c r="L1" s="8"><v>999</v></c>')


def _cell_right_of_row(parts: Parts) -> None:  # a cell added to the right of the 合计 row
    name = sheet_part(parts, "表1")
    row = row_xml(parts, "表1", 8)
    sub(parts, name, row, row.replace("</row>", '<c r="N8"><v>12</v></c></row>'))


def _row_deleted(parts: Parts) -> None:
    name = sheet_part(parts, "附表1")
    sub(parts, name, row_xml(parts, "附表1", 7), "")


def _row_copied(parts: Parts) -> None:
    name = sheet_part(parts, "附表1")
    row = row_xml(parts, "附表1", 7)
    sub(parts, name, row, row + row.replace('r="7"', 'r="7"'))


def _sheet_shown(parts: Parts) -> None:
    sub(parts, "xl/workbook.xml", ' state="hidden"', "")


def _sheet_hidden(parts: Parts) -> None:
    sub(parts, "xl/workbook.xml", '<sheet name="表2" sheetId="3"', '<sheet name="表2" sheetId="3" state="hidden"')


def _sheets_reordered(parts: Parts) -> None:
    book = parts["xl/workbook.xml"].decode("utf-8")
    one = re.search(r'<sheet name="表1"[^>]*/>', book)
    two = re.search(r'<sheet name="表2"[^>]*/>', book)
    assert one and two
    parts["xl/workbook.xml"] = book.replace(one.group(0), "\0").replace(two.group(0), one.group(0)) \
        .replace("\0", two.group(0)).encode("utf-8")


def _number_format_times_ten(parts: Parts) -> None:  # every integer shows with an extra 0
    sub(parts, "xl/styles.xml", '<numFmts count="1"><numFmt numFmtId="164" formatCode="0.00"/></numFmts>',
        '<numFmts count="2"><numFmt numFmtId="164" formatCode="0.00"/><numFmt numFmtId="165" formatCode="0&quot;0&quot;"/>'
        "</numFmts>")
    regex_sub(parts, "xl/styles.xml", r'numFmtId="1" ', 'numFmtId="165" ')


def _formula_with_same_value(parts: Parts) -> None:
    name = sheet_part(parts, "表1")
    text = parts[name].decode("utf-8")
    match = re.search(r'<c r="(B8)" s="(\d+)"><v>(\d+)</v></c>', text)
    assert match is not None
    sub(parts, name, match.group(0), f'<c r="B8" s="{match.group(2)}"><f>{match.group(3)}*1</f><v>{match.group(3)}</v></c>')


def _cover_unit_one_character(parts: Parts) -> None:  # 宁洱 → 宁尔 in the shared string the cover shows
    sub(parts, "xl/sharedStrings.xml", "<t>宁洱哈尼族彝族自治县总工会</t>", "<t>宁尔哈尼族彝族自治县总工会</t>")


def _cover_sheet_renamed(parts: Parts) -> None:
    sub(parts, "xl/workbook.xml", '<sheet name="封面"', '<sheet name="封面 "')


def _invented_person(parts: Parts) -> None:
    name = sheet_part(parts, "附表1")
    text = parts[name].decode("utf-8")
    last = max(int(r) for r in re.findall(r'<row r="(\d+)"', text))
    row = row_xml(parts, "附表1", 7)
    invented = re.sub(r'r="([A-Z]+)7"', rf'r="\g<1>{last + 1}"', row).replace('<row r="7"', f'<row r="{last + 1}"')
    sub(parts, name, "</sheetData>", invented + "</sheetData>")


def _extra_total_row(parts: Parts) -> None:
    name = sheet_part(parts, "表1")
    text = parts[name].decode("utf-8")
    last = max(int(r) for r in re.findall(r'<row r="(\d+)"', text))
    sub(parts, name, "</sheetData>",
        f'<row r="{last + 1}"><c r="A{last + 1}" t="inlineStr"><is><t>合计（核定）</t></is></c>'
        f'<c r="B{last + 1}"><v>200</v></c></row></sheetData>')


def _captions_swapped(parts: Parts) -> None:
    name = sheet_part(parts, "表3")
    text = parts[name].decode("utf-8")
    cells = re.findall(r'<c r="([B-Z]6)" s="(\d+)" t="s"><v>(\d+)</v></c>', text)
    (r1, s1, v1), (r2, s2, v2) = cells[0], cells[1]
    assert v1 != v2
    text = text.replace(f'<c r="{r1}" s="{s1}" t="s"><v>{v1}</v></c>', f'<c r="{r1}" s="{s1}" t="s"><v>{v2}</v>\0')
    text = text.replace(f'<c r="{r2}" s="{s2}" t="s"><v>{v2}</v></c>', f'<c r="{r2}" s="{s2}" t="s"><v>{v1}</v></c>')
    parts[name] = text.replace("\0", "</c>").encode("utf-8")


def _invented_notes_sheet(parts: Parts) -> None:
    parts["xl/worksheets/sheet99.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>审核说明：数据已由州总工会核定</t></is></c></row>'
        "</sheetData></worksheet>").encode()
    sub(parts, "xl/_rels/workbook.xml.rels", "</Relationships>",
        '<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"'
        ' Target="worksheets/sheet99.xml"/></Relationships>')
    sub(parts, "[Content_Types].xml", "</Types>",
        '<Override PartName="/xl/worksheets/sheet99.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
    sub(parts, "xl/workbook.xml", "</sheets>", '<sheet name="审核说明" sheetId="99" r:id="rId99"/></sheets>')


def _merged_cells(parts: Parts) -> None:
    name = sheet_part(parts, "表1")
    sub(parts, name, "<mergeCells count=\"", "<mergeCells count=\"1\" x=\"")


FORGERIES: dict[str, tuple[Callable[[Parts], None], list[str]]] = {
    "empty cell filled": (_fill_empty_cell, ["表1", "L1", "999"]),
    "cell right of a row": (_cell_right_of_row, ["表1", "N8"]),
    "row deleted": (_row_deleted, ["附表1"]),
    "row copied": (_row_copied, ["附表1"]),
    "hidden sheet shown": (_sheet_shown, ["_data", "显示"]),
    "sheet hidden": (_sheet_hidden, ["表2", "隐藏"]),
    "sheets reordered": (_sheets_reordered, ["顺序"]),
    "number format x10": (_number_format_times_ten, ["格式"]),
    "formula with the same value": (_formula_with_same_value, ["表1", "B8", "公式"]),
    "cover unit edited by one character": (_cover_unit_one_character, ["封面", "宁尔"]),
    "cover sheet renamed": (_cover_sheet_renamed, ["封面 "]),
    "invented person under the roster": (_invented_person, ["附表1"]),
    "extra 合计（核定） row": (_extra_total_row, ["表1", "合计（核定）"]),
    "two captions swapped": (_captions_swapped, ["表3"]),
    "invented 审核说明 sheet": (_invented_notes_sheet, ["审核说明"]),
    "merged cells changed": (_merged_cells, ["表1"]),
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_each_forgery_of_the_attack_is_detected_and_named(signed: tuple[Store, Path], tmp_path: Path,
                                                          forgery: str) -> None:
    store, xlsx = signed
    edit, words = FORGERIES[forgery]
    forged = forge(xlsx, tmp_path / "伪造 的报表.xlsx", edit)
    result = verify(store, forged)
    assert result.status == return_io.TAMPERED, (forgery, result.status, result.reason)
    assert result.reason.startswith("签名之后文件被改动")
    for word in words:
        assert word in result.reason, (forgery, word, result.reason)


def test_a_changed_embedded_data_part_is_named(signed: tuple[Store, Path], tmp_path: Path) -> None:
    store, xlsx = signed

    def edit(parts: Parts) -> None:
        name = sheet_part(parts, "_data")
        del name  # the data sits in shared strings; change one number in it
        sub(parts, "xl/sharedStrings.xml", '"participants":', '"participants":1')

    result = verify(store, forge(xlsx, tmp_path / "改数据.xlsx", edit))
    assert result.status == return_io.TAMPERED and "表格中的文字" in result.reason


def test_a_changed_signature_or_manifest_is_not_accepted(signed: tuple[Store, Path], tmp_path: Path) -> None:
    store, xlsx = signed
    names, parts, comment = read_parts(xlsx)
    signature = parts[SIGNATURE_PART]
    for i, position in enumerate((len(b"CHANGAI-SIGNATURE/2\n") + 40, len(signature) - 30)):
        garbled = bytearray(signature)
        garbled[position] = ord("A") if garbled[position] != ord("A") else ord("B")
        target = tmp_path / f"坏签名{i}.xlsx"
        write_parts(target, names, {**parts, SIGNATURE_PART: bytes(garbled)}, comment)
        assert verify(store, target).status in (return_io.TAMPERED, return_io.MALFORMED)


def test_removing_the_signature_is_reported(signed: tuple[Store, Path], tmp_path: Path) -> None:
    store, xlsx = signed
    names, parts, comment = read_parts(xlsx)
    del parts[SIGNATURE_PART]
    target = tmp_path / "去掉签名.xlsx"
    write_parts(target, names, parts, comment)
    result = verify(store, target)
    assert result.status == return_io.TAMPERED and "签名已不在文件中" in result.reason


def test_a_signature_moved_to_another_units_data_is_not_valid(signed: tuple[Store, Path], tmp_path: Path) -> None:
    """Another unit's genuine workbook with this unit's signature part: the parts differ from the manifest."""
    from signing_support import other_unit_store

    store, xlsx = signed
    other = other_unit_store(tmp_path / "墨江", "530822")
    try:
        from models.demo import fill_demo

        fill_demo(other, seed=7)
        (theirs,) = export.export_return(other, PERIOD, tmp_path / "墨江U盘", ["xlsx"], signer=None)
    finally:
        other.close()
    names, parts, comment = read_parts(theirs)
    _n, mine, _c = read_parts(xlsx)
    target = tmp_path / "换签名.xlsx"
    write_parts(target, names, {**parts, SIGNATURE_PART: mine[SIGNATURE_PART]}, comment)
    assert verify(store, target).status == return_io.TAMPERED


# --- random changes ------------------------------------------------------------------------------------

@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, int, bytes]:
    kind = draw(st.sampled_from(["flip", "insert", "delete", "add_part", "remove_part", "rename_part",
                                 "cell", "state", "numfmt", "signature", "comment"]))
    return kind, draw(st.integers(min_value=0, max_value=10**9)), draw(st.binary(min_size=1, max_size=8))


def apply_mutation(names: list[str], parts: Parts, comment: bytes, kind: str, n: int, blob: bytes) \
        -> tuple[list[str], Parts, bytes]:
    parts = dict(parts)
    names = list(names)
    name = sorted(parts)[n % len(parts)]
    data = parts[name]
    if kind == "flip":
        at = n % len(data)
        parts[name] = data[:at] + bytes([data[at] ^ (blob[0] or 1)]) + data[at + 1:]
    elif kind == "insert":
        at = n % (len(data) + 1)
        parts[name] = data[:at] + blob + data[at:]
    elif kind == "delete":
        at = n % len(data)
        parts[name] = data[:at] + data[at + 1 + n % 7:]
    elif kind == "add_part":
        parts[f"xl/extra{n % 5}.xml"] = blob
    elif kind == "remove_part":
        del parts[name]
    elif kind == "rename_part":
        parts[name.upper() if name != name.upper() else name + "x"] = parts.pop(name)
        names = [x for x in names if x != name]
    elif kind == "cell":
        sheet = sorted(p for p in parts if p.startswith("xl/worksheets/"))[n % 9]
        text = parts[sheet].decode("utf-8")
        refs = re.findall(r'<c r="([A-Z]+\d+)"', text)
        ref = refs[n % len(refs)]
        parts[sheet] = re.sub(rf'<c r="{ref}"([^>]*?)(/>|>.*?</c>)', f'<c r="{ref}"><v>{n % 1000}</v></c>', text,
                              count=1).encode("utf-8")
    elif kind == "state":
        states = ["hidden", "veryHidden", "visible"]
        parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
            b'state="hidden"', f'state="{states[n % 3]}"'.encode()) if n % 2 else parts["xl/workbook.xml"].replace(
            b'<sheet name="', f'<sheet state="{states[n % 3]}" name="'.encode(), 1)
    elif kind == "numfmt":
        parts["xl/styles.xml"] = parts["xl/styles.xml"].replace(b'formatCode="0.00"',
                                                                f'formatCode="0.0{n % 10}"'.encode())
    elif kind == "signature":
        data = parts[SIGNATURE_PART]
        at = n % len(data)
        parts[SIGNATURE_PART] = data[:at] + bytes([data[at] ^ (blob[0] or 1)]) + data[at + 1:]
    elif kind == "comment":
        comment = blob
    return names, parts, comment


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=mutations())
def test_random_changes_are_never_accepted(signed: tuple[Store, Path], tmp_path: Path,
                                           mutation: tuple[str, int, bytes]) -> None:
    store, xlsx = signed
    names, parts, comment = read_parts(xlsx)
    new_names, new_parts, new_comment = apply_mutation(names, parts, comment, *mutation)
    target = tmp_path / "随机改动.xlsx"
    write_parts(target, new_names, new_parts, new_comment)
    result = verify(store, target)
    if new_parts != parts:
        assert result.status != return_io.VALID, (mutation, result.reason)
    if result.status == return_io.VALID:
        assert new_parts == parts


BASE64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@given(data=st.binary(max_size=64))
def test_base64_is_read_only_as_this_program_writes_it(data: bytes) -> None:
    import base64
    import binascii

    from models.signing.common import b64decode_exact

    text = base64.b64encode(data)
    assert b64decode_exact(text) == data
    if text.endswith(b"="):
        at = text.index(b"=") - 1
        respelt = text[:at] + bytes([BASE64[BASE64.index(text[at]) ^ 1]]) + text[at + 1:]
        assert base64.b64decode(respelt, validate=True) == data  # what Python's decoder accepts
        with pytest.raises(binascii.Error):
            b64decode_exact(respelt)
    with pytest.raises(binascii.Error):
        b64decode_exact(text + b"\n")


def test_the_signature_part_spelt_another_way_in_base64_is_not_valid(signed: tuple[Store, Path],
                                                                      tmp_path: Path) -> None:
    """Base64 decoders ignore the unused bits before ``=`` (``QQ==`` and ``QR==`` both give ``A``). The signature
    part is the one part the manifest cannot cover: a copy of the file with another spelling of the same manifest or
    signature verified (a random change found it under Windows), though its bytes differ from what was signed."""
    from models.signing.package import COMMENT_MAGIC

    store, xlsx = signed
    names, parts, comment = read_parts(xlsx)
    manifest, signature, end = parts[SIGNATURE_PART][len(COMMENT_MAGIC):].split(b"\n")
    respelt = 0
    for index, piece in enumerate((manifest, signature)):
        if not piece.endswith(b"="):
            continue  # its length is a multiple of three bytes: no unused bits to change
        at = piece.index(b"=") - 1
        other = BASE64[BASE64.index(piece[at]) ^ 1]  # the lowest of the unused bits
        changed = piece[:at] + bytes([other]) + piece[at + 1:]
        pieces = [manifest, signature]
        pieces[index] = changed
        target = tmp_path / f"另一种写法{index}.xlsx"
        write_parts(target, names, {**parts, SIGNATURE_PART: COMMENT_MAGIC + b"\n".join([*pieces, end])}, comment)
        result = verify(store, target)
        assert result.status == return_io.MALFORMED and "签名已损坏或被改动过" in result.reason, result
        respelt += 1
    assert respelt, "neither the manifest nor the signature ends in padding in this file"


def test_bytes_after_the_signature_in_the_signature_part_are_not_valid(signed: tuple[Store, Path],
                                                                      tmp_path: Path) -> None:
    """The signature's DER with a byte after it, written again as proper base64: asn1crypto reads the DER and would
    ignore the rest."""
    import base64

    from models.signing.package import COMMENT_MAGIC

    store, xlsx = signed
    names, parts, comment = read_parts(xlsx)
    manifest, signature, end = parts[SIGNATURE_PART][len(COMMENT_MAGIC):].split(b"\n")
    longer = base64.b64encode(base64.b64decode(signature) + b"\x00")
    target = tmp_path / "签名后多一字节.xlsx"
    write_parts(target, names, {**parts, SIGNATURE_PART: COMMENT_MAGIC + b"\n".join([manifest, longer, end])},
                comment)
    result = verify(store, target)
    assert result.status == return_io.MALFORMED and "损坏" in result.reason, result


def test_a_workbook_with_the_old_signature_sheet_is_unsigned(signed: tuple[Store, Path], tmp_path: Path) -> None:
    """Earlier versions signed only the embedded data, in a hidden ``_signature`` sheet: no longer accepted."""
    import openpyxl

    store, _xlsx = signed
    (plain,) = export.export_return(store, PERIOD, tmp_path / "未签名", ["xlsx"], version=1)
    assert verify(store, plain).status == return_io.UNSIGNED
    wb = openpyxl.load_workbook(plain)
    ws = wb.create_sheet("_signature")
    ws["A1"], ws["A2"] = "changai-signature", "MIIB"
    ws.sheet_state = "hidden"
    wb.save(plain)
    result = verify(store, plain)
    assert result.status == return_io.UNSIGNED and "旧版" in result.reason



class _FixedSigner:
    """Signs with a fixed answer, so that two signings of the same workbook can be compared byte for byte."""

    def sign(self, data: bytes) -> bytes:
        return b"fixed signature of " + data[:16]


def test_the_streamed_rewrite_writes_the_bytes_writestr_wrote(signed: tuple[Store, Path], tmp_path: Path) -> None:
    """Signing rewrites the workbook part by part through a stream (a province's roster sheet is tens of MB): the
    file is byte for byte what reading each part whole and ``writestr`` made."""
    import shutil

    from models.signing import package

    store, _xlsx = signed
    (plain,) = export.export_return(store, PERIOD, tmp_path / "未签名", ["xlsx"], version=1)
    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"
    shutil.copy(plain, ours)
    shutil.copy(plain, theirs)
    manifest_of = lambda parts: package.Manifest("530821", "2025", 1, "0" * 64,  # noqa: E731
                                                 {n: (p.size, p.sha256) for n, p in parts.items()})
    package._sign_parts(ours, manifest_of, _FixedSigner())  # type: ignore[arg-type]
    rewritten = theirs.with_name("theirs.xlsx.sign")
    with zipfile.ZipFile(theirs) as src, zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == package.CONTENT_TYPES:
                data = package.declare_signature_type(data)
            dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    rewritten.replace(theirs)
    with zipfile.ZipFile(theirs) as zf:
        manifest = manifest_of(package.own_parts(zf)).to_bytes()
    with zipfile.ZipFile(ours) as zf:  # the moment it was signed (the two files may be written seconds apart)
        signed_at = zf.getinfo(SIGNATURE_PART).date_time
    with zipfile.ZipFile(theirs, "a", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo(SIGNATURE_PART, signed_at)  # what writestr(name, …) makes, at that moment
        info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o600 << 16
        zf.writestr(info, package.encode_comment(manifest, _FixedSigner().sign(manifest)))
    assert ours.read_bytes() == theirs.read_bytes()
