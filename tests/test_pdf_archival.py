"""The PDF is an archival document: every font embedded (no Helvetica), dates with their real UTC offset,
every name and long text printed in full (wrapped, never cut)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_of
from hypothesis import given, settings
from hypothesis import strategies as st
from pdf_fonts import assert_fonts_embedded
from signing_support import PASSPHRASE, make_key, setup_unit

from common.ids import make_id_number
from forms.periods import parse_period
from models import export, records, versions
from models.db import Store, open_store
from models.export_pdf import balanced_wrap, layout, text_width, wrap, wrap_list
from models.pdfa import pdf_date
from models.signing.provider import FileKeySigner

YEAR = str(dt.date.today().year - 1)
PERIOD = parse_period(YEAR)
LONG = "阿卜杜热合曼·买买提艾力·图尔荪托合提·阿不都克尤"  # 26 characters; four people differ only at the end


def add_long_names(store: Store) -> None:
    for i, tail in enumerate("甲乙丙丁"):
        records.save(store, "people", {
            "name": LONG + tail, "sex": "男", "id_number": make_id_number("530821", dt.date(1970 + i, 1, 1), 1 + i, "男"),
            "employer": "宁洱哈尼族彝族自治县普洱茶产业发展有限责任公司第三茶叶初制所机修车间" + tail,
            "employer_nature": "国有企业", "status": "在职"},
            children={"honours": [{"title": "云南省劳动模范", "category": "劳动模范/先进工作者", "level": "省部级",
                                   "award_year": 2015}]})


@pytest.fixture
def long_names(demo_store: Store) -> Store:
    add_long_names(demo_store)
    return demo_store


def test_long_names_are_printed_in_full(long_names: Store) -> None:
    ret = versions.finalise(long_names, PERIOD)
    pages = layout(ret)
    texts = "".join(op[4] for page in pages if page.section == "附表1" for op in page.ops if op[0] == "text")
    for tail in "甲乙丙丁":
        assert LONG + tail in texts
        assert "宁洱哈尼族彝族自治县普洱茶产业发展有限责任公司第三茶叶初制所机修车间" + tail in texts
    assert "…" not in texts


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("阿卜杜热合曼·买 abcXYZ-、0129"), max_size=80),
       width=st.floats(min_value=8, max_value=300), size=st.sampled_from([6.0, 7.5, 9.0, 12.0]))
def test_wrapping_never_drops_a_character(text: str, width: float, size: float) -> None:
    assert "".join(wrap(text, width, size)) == text
    assert "".join(wrap_list(text, width, size)) == text.replace("\n", "")


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("数字技能培训人次（）·abcXYZ-、0129"), min_size=1, max_size=40),
       width=st.floats(min_value=12, max_value=200), size=st.sampled_from([6.0, 7.5, 9.0]))
def test_balanced_captions_keep_every_character_in_as_many_lines_and_no_wider(text: str, width: float,
                                                                              size: float) -> None:
    greedy = wrap(text, width, size)
    lines = balanced_wrap(text, width, size, max_lines=len(greedy))
    assert "".join(lines) == text and len(lines) == len(greedy)
    assert max(text_width(line, size) for line in lines) <= max(text_width(line, size) for line in greedy)


def test_a_header_that_needs_two_lines_is_cut_in_the_middle() -> None:
    width = text_width("数字技能培训人", 7.5) + 1  # seven characters fit: greedy would leave one alone
    assert wrap("数字技能培训人次", width, 7.5) == ["数字技能培训人", "次"]
    assert balanced_wrap("数字技能培训人次", width, 7.5, 4) == ["数字技能", "培训人次"]


@pytest.mark.parametrize(("moment", "expected"), [
    (dt.datetime(2026, 1, 5, 10, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), "D:20260105100000+08'00'"),
    (dt.datetime(2026, 1, 5, 2, 0, 0, tzinfo=dt.UTC), "D:20260105020000+00'00'"),
    (dt.datetime(2026, 7, 1, 9, 30, 5, tzinfo=dt.timezone(-dt.timedelta(hours=5, minutes=30))), "D:20260701093005-05'30'"),
])
def test_pdf_dates_carry_their_real_utc_offset(moment: dt.datetime, expected: str) -> None:
    assert pdf_date(moment) == expected


def test_a_naive_time_is_labelled_with_this_computers_offset() -> None:
    naive = dt.datetime(2026, 1, 5, 10, 0, 0)
    offset = naive.astimezone().utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    assert pdf_date(naive).endswith(f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}'{abs(minutes) % 60:02d}'")


DATA = "宁洱 数据"


def _build_signed(folder: Path) -> None:
    """The demo county with the long names and a key; its return exported as a signed PDF into ``U盘``."""
    from models.demo import fill_demo

    store = open_store(folder / DATA)
    try:
        setup_unit(store, "530821")
        fill_demo(store, seed=2025)
        add_long_names(store)
        make_key(store)
        export.export_return(store, PERIOD, folder / "U盘", ["pdf"], signer=FileKeySigner.open(store, PASSPHRASE))
    finally:
        store.close()


@pytest.fixture
def signed_store(prebuilt: Any, tmp_path: Path) -> Iterator[Store]:
    """A copy of the long-names county whose return was exported as a signed PDF (built once per session)."""
    copy_of(prebuilt("signed_long_names", _build_signed), tmp_path)
    store = open_store(tmp_path / DATA)
    yield store
    store.close()


@pytest.fixture
def signed_pdf(signed_store: Store, tmp_path: Path) -> Path:
    (pdf,) = (tmp_path / "U盘").glob("*.pdf")
    return pdf


def test_every_font_is_embedded_and_helvetica_is_never_named(signed_pdf: Path, signed_store: Store, tmp_path: Path) -> None:

    from models.signing.register_form import export_registration

    registration = export_registration(signed_store, tmp_path / "登记")
    for path in (signed_pdf, registration.form):
        assert_fonts_embedded(path.read_bytes(), path.name)
    if shutil.which("pdffonts"):
        out = subprocess.run(["pdffonts", str(signed_pdf)], capture_output=True, check=True, timeout=60).stdout.decode()
        rows = out.splitlines()[2:]
        assert rows and all(re.search(r"\byes\s+yes\s+yes\b", row) for row in rows), out


def test_the_creation_date_is_the_finalisation_instant(signed_pdf: Path, signed_store: Store) -> None:
    from pypdf import PdfReader

    ret = versions.load_version(signed_store, PERIOD)
    assert ret is not None
    stamp = ret.finalised_at
    info = PdfReader(signed_pdf).metadata
    assert info is not None
    text = str(info["/CreationDate"])
    match = re.fullmatch(r"D:(\d{14})(Z|[+-]\d{2}'\d{2}'?)", text)
    assert match is not None, text
    zone = dt.UTC if match.group(2) == "Z" else dt.timezone(
        (1 if match.group(2)[0] == "+" else -1) * dt.timedelta(hours=int(match.group(2)[1:3]), minutes=int(match.group(2)[4:6])))
    shown = dt.datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=zone)
    assert shown == dt.datetime.fromisoformat(stamp).astimezone()  # the same instant, whatever the offset shown


PDFBOX = [Path("/usr/share/java") / name for name in ("preflight.jar", "pdfbox2.jar", "fontbox2.jar", "xmpbox.jar",
                                                       "commons-logging.jar", "javax.activation.jar", "jaxb-api.jar")]
# What PDFBox's preflight (a PDF/A-1b validator) still reports for a PDF/A-3b file, and why each is not a PDF/A-3
# failure: attachments and ICC v4 profiles are allowed from PDF/A-2/3 on, and the identification says part 3 where
# PDF/A-1 wants 1.
PDFA1_ONLY = {"1.4.7", "1.2.9", "2.1.6", "7.11.2"}


def test_the_pdf_is_pdfa3_with_the_data_attached(signed_pdf: Path, signed_store: Store) -> None:
    from pypdf import PdfReader

    from models.pdfa import attached_data
    from models.returns import canonical_bytes

    data = signed_pdf.read_bytes()
    assert data.startswith(b"%PDF-1.7")
    reader = PdfReader(signed_pdf)
    root = reader.trailer["/Root"]
    assert str(root.get("/Version", "/1.7")) == "/1.7"
    (intent,) = root["/OutputIntents"]
    assert intent.get_object()["/S"] == "/GTS_PDFA1"
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert "<pdfaid:part>3</pdfaid:part>" in xmp and "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    ret = versions.load_version(signed_store, PERIOD)
    assert ret is not None and attached_data(data) == canonical_bytes(ret)
    (spec,) = root["/AF"]
    assert spec.get_object()["/AFRelationship"] == "/Data"


STREAM_START = re.compile(rb"/Length (\d+)[^>]*>>\s*stream\r?\n")


def test_every_stream_ends_with_an_end_of_line_not_counted_in_its_length(signed_pdf: Path) -> None:
    """PDF/A: the data of a stream is followed by an end-of-line before ``endstream``; ``/Length`` counts the data
    only (the signature's objects included)."""
    data = signed_pdf.read_bytes()
    found = [(m.end(), int(m.group(1))) for m in STREAM_START.finditer(data)]
    assert len(found) > 20
    for start, length in found:
        after = data[start + length:start + length + 11]
        assert after.startswith((b"\nendstream", b"\r\nendstream")), data[start + length - 5:start + length + 12]


def test_the_xmp_packet_says_what_the_document_information_says(signed_pdf: Path, signed_store: Store,
                                                               tmp_path: Path) -> None:
    """Unsigned and signed: title, author, subject, keywords, creator and producer agree (the signature
    changes neither), and the creation date is the same instant."""
    from pypdf import PdfReader

    (unsigned,) = export.export_return(signed_store, PERIOD, tmp_path / "未签名", ["pdf"], version=1)
    for path in (unsigned, signed_pdf):
        reader = PdfReader(path)
        info = reader.metadata
        assert info is not None
        xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
        for key in ("/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/Producer"):
            assert f">{info[key]}<" in xmp or f'="{info[key]}"' in xmp, (path.name, key, str(info[key]))
        created = re.search(r"CreateDate[>=\"]+([0-9T:+-]+)", xmp)
        assert created is not None and dt.datetime.fromisoformat(created.group(1)) == info.creation_date, path.name


def test_a_receiver_reads_the_return_from_the_signed_pdf_alone(signed_pdf: Path, signed_store: Store) -> None:
    from models import return_io
    from models.returns import digest

    result = return_io.read_return(signed_pdf, signed_store)
    ret = versions.load_version(signed_store, PERIOD)
    assert result.status == return_io.VALID and result.ret is not None and ret is not None
    assert result.digest == digest(ret) and result.ret.rosters == ret.rosters


@pytest.mark.skipif(not all(p.exists() for p in PDFBOX) or shutil.which("java") is None,
                    reason="PDFBox preflight (Debian libpdfbox2-java, libactivation-java, libjaxb-api-java) not installed")
def test_pdfbox_preflight_finds_only_pdfa1_specific_rules(signed_pdf: Path) -> None:
    proc = subprocess.run(["java", "-cp", ":".join(map(str, PDFBOX)), "org.apache.pdfbox.preflight.Validator_A1b",
                           str(signed_pdf)], capture_output=True, timeout=300, check=False)
    out = proc.stdout.decode("utf-8", "replace")
    codes = set(re.findall(r"^(\d+(?:\.\d+)+) :", out, flags=re.MULTILINE))
    assert codes <= PDFA1_ONLY, out


def test_a_prefecture_receives_from_the_pdf_alone(signed_pdf: Path, signed_store: Store, tmp_path: Path) -> None:
    from signing_support import other_unit_store

    from models import receiving
    from models.signing import keys, trust

    prefecture = other_unit_store(tmp_path / "普洱市", "530800")
    try:
        trust.register(prefecture, keys.active_key(signed_store).cert_pem.encode())  # type: ignore[union-attr]
        (result,) = receiving.receive_files(prefecture, [signed_pdf])
        assert result.outcome == receiving.ACCEPTED, result.reason
        (row,) = receiving.received(prefecture, YEAR)
        assert row.unit_code == "530821" and row.version == 1
        (again,) = receiving.receive_files(prefecture, [signed_pdf])
        assert again.outcome == receiving.CHECKED
    finally:
        prefecture.close()


def test_the_output_profile_is_the_same_bytes_at_any_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """LittleCMS stamps the current time into the ICC header: a re-export a second later differed (seen on Windows)."""
    import struct

    from models import pdfa

    profile = pdfa.srgb_profile()
    assert struct.unpack(">6H", profile[24:36]) == (2000, 1, 1, 0, 0, 0)
    pdfa.srgb_profile.cache_clear()
    assert pdfa.srgb_profile() == profile


def test_the_output_profile_is_the_same_bytes_on_every_system() -> None:
    """LittleCMS names the platform it was built for (MSFT on Windows, APPL elsewhere): the same return's PDF differed
    between a Windows PC and a Linux desktop. The field is zero ("not specified"); the profile is still sRGB."""
    import hashlib
    import io

    from PIL import ImageCms

    from models import pdfa

    profile = pdfa.srgb_profile()
    assert profile[36:40] == b"acsp" and profile[40:44] == bytes(4)
    read = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    assert ImageCms.getProfileDescription(read).strip() == "sRGB built-in" and read.profile.xcolor_space == "RGB "
    assert hashlib.sha256(profile).hexdigest() == SRGB_PROFILE_SHA256  # the same bytes here and under Windows


SRGB_PROFILE_SHA256 = "1f5af7bec39e83535ad75c5cd67f0583d70da038eed0052eaa6b44659f038ce1"
