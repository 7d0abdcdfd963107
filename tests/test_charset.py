"""Legacy-charset pages come out as browsers show them (WHATWG Encoding standard), one case each.

Each page is built in the encoding under test and run through :func:`extractors.extract`; the
clause text must hold the right Unicode letters.
"""

from __future__ import annotations

import contextlib
import random

import pytest

from clausewatch.errors import ExtractionError
from clausewatch.extractors import extract
from clausewatch.extractors.decode import decode_html, sniff_encoding

_INTRO = "These terms apply to everyone who uses the service; please read them carefully."
_QUOTES = "Price 5€ – it’s “quoted” … ™"


def _page(text: str, codec: str, head: str = "") -> bytes:
    """A small terms page holding ``text``, encoded with the Python ``codec``."""
    html = (
        f"<html><head>{head}<title>Terms</title></head><body><main><h1>Terms of service</h1>"
        f"<p>{_INTRO}</p><p>{text}</p></main></body></html>"
    )
    return html.encode(codec)


def _texts(data: bytes, content_type: str | None = None) -> list[str]:
    return [c.text for c in extract(data, content_type=content_type).clauses]


def _meta(label: str) -> str:
    return f'<meta charset="{label}">'


def _http_equiv(label: str) -> str:
    return f'<meta http-equiv="Content-Type" content="text/html; charset={label}">'


# (label the page declares, text, the Python codec that writes what browsers read)
LEGACY = [
    # browsers read ISO-8859-1 and US-ASCII as windows-1252: 0x80-0x9F are € – ’ “ ” … ™
    ("iso-8859-1", _QUOTES, "cp1252"),
    ("latin1", _QUOTES, "cp1252"),
    ("us-ascii", _QUOTES, "cp1252"),
    ("ISO_8859-1:1987", _QUOTES, "cp1252"),
    ("windows-1252", _QUOTES, "cp1252"),
    # Shift_JIS is windows-31j: NEC circled digits, and the x-sjis / windows-31j labels
    ("shift_jis", "利用規約に同意します ①②", "cp932"),
    ("x-sjis", "利用規約に同意します", "cp932"),
    ("windows-31j", "利用規約 ①", "cp932"),
    ("euc-jp", "利用規約に同意します", "euc_jp"),
    ("iso-2022-jp", "利用規約に同意します", "iso2022_jp"),
    # gb2312 is GBK (then gb18030): characters outside GB 2312 must survive
    ("gb2312", "服务条款 镕 喆", "gbk"),
    ("gbk", "服务条款 喆", "gbk"),
    ("gb18030", "服务条款 𠀀", "gb18030"),
    # Big5 includes HKSCS
    ("big5", "服務條款 嗰", "big5hkscs"),
    # EUC-KR is windows-949: the Unified Hangul Code syllables too
    ("euc-kr", "이용약관 똠방각하", "cp949"),
    ("ks_c_5601-1987", "이용약관 똠", "cp949"),
    ("koi8-r", "Условия использования", "koi8_r"),
    ("windows-1251", "Условия использования", "cp1251"),
    ("iso-8859-2", "Podmínky užívání, Łódź", "iso8859_2"),
    ("iso-8859-15", "Prix 5€, œuvre", "iso8859_15"),
    # ISO-8859-9 is windows-1254, TIS-620 is windows-874
    ("iso-8859-9", "Şartlar ‘x’", "cp1254"),
    ("tis-620", "ข้อกำหนด …", "cp874"),
    ("x-mac-cyrillic", "Условия", "mac_cyrillic"),
    ("iso-8859-8-i", "תנאי שימוש", "iso8859_8"),
]


@pytest.mark.parametrize("where", ["meta", "http-equiv", "header"])
@pytest.mark.parametrize(("label", "text", "codec"), LEGACY, ids=[c[0] for c in LEGACY])
def test_legacy_charset_page_decodes_as_browsers_do(
    label: str, text: str, codec: str, where: str
) -> None:
    if where == "header":
        got = _texts(_page(text, codec), f"text/html; charset={label}")
    else:
        got = _texts(_page(text, codec, _meta(label) if where == "meta" else _http_equiv(label)))
    assert text in got


@pytest.mark.parametrize(
    ("label", "raw", "text"),
    [
        # EUC-JP has windows-31j's NEC row 13 and IBM rows 89-92: ① ㈱ № and 纊
        ("euc-jp", b"\xad\xa1 \xad\xea \xad\xe2 \xf9\xa1 \xcd\xf8\xcd\xd1", "① ㈱ № 纊 利用"),
        # Big5 has windows-950's € (0xA3E1) beside HKSCS; GBK's lone 0x80 is €
        ("big5", b"5\xa3\xe1 \x9d\xf5 \xaa\x41", "5€ 嗰 服"),
        ("gb2312", b"5\x80 \xb7\xfe", "5€ 服"),
    ],
)
def test_multibyte_characters_python_codecs_lack(label: str, raw: bytes, text: str) -> None:
    data = _page("@@", "ascii").replace(b"@@", raw)
    assert text in _texts(data, f"text/html; charset={label}")


def test_broken_multibyte_sequence_keeps_the_markup_after_it() -> None:
    # the broken bytes become U+FFFD (which extraction drops), never "</p><p>" with them
    data = _page("@@", "ascii").replace(b"@@", b"a\x81</p><p>b\xad")
    assert _texts(data, "text/html; charset=euc-jp")[-2:] == ["a", "b"]


def test_meta_after_a_long_head_is_found() -> None:
    text = "Условия использования"
    head = "<style>" + "p { color: black }\n" * 100 + "</style>" + _meta("windows-1251")
    data = _page(text, "cp1251", head)
    assert data.index(b"<meta") > 1024
    assert text in _texts(data)


@pytest.mark.parametrize(
    ("head", "content_type"),
    [
        ('<meta charset=" Windows-1252 ">', None),
        ("<meta charset='WINDOWS-1251'>", None),
        ("<META HTTP-EQUIV='content-type' CONTENT='text/html;charset=\" windows-1251 \"'>", None),
        ("", 'text/html; charset=" Windows-1251 "'),
        ("", "text/html;charset='windows-1251'"),
        ("", "TEXT/HTML; CHARSET=WINDOWS-1251"),
    ],
)
def test_labels_ignore_quotes_spaces_and_case(head: str, content_type: str | None) -> None:
    text = "Условия использования" if "1251" in head + str(content_type) else _QUOTES
    codec = "cp1251" if "1251" in head + str(content_type) else "cp1252"
    assert text in _texts(_page(text, codec, head), content_type)


def test_single_quoted_x_sjis_meta() -> None:
    assert "利用規約" in _texts(_page("利用規約", "cp932", "<meta charset='x-sjis'>"))


def test_utf7_is_never_decoded() -> None:
    # WHATWG knows no utf-7 label: the page is read as if undeclared, "+ADw-" stays literal
    data = (
        b"<html><head><meta charset=utf-7></head><body><main><h1>Terms</h1><p>"
        + _INTRO.encode()
        + b"</p><p>+ADw-script+AD4-alert(1)+ADw-/script+AD4- caf+AOk-</p></main></body></html>"
    )
    assert "+ADw-script+AD4-alert(1)+ADw-/script+AD4- caf+AOk-" in _texts(data)
    header_only = data.replace(b"<meta charset=utf-7>", b"")
    assert "+ADw-script+AD4-alert(1)+ADw-/script+AD4- caf+AOk-" in _texts(
        header_only, "text/html; charset=utf-7"
    )
    assert "café “x”" in _texts(_page("café “x”", "utf-8", _meta("utf-7")))


@pytest.mark.parametrize("label", ["foo", "utf-7", "base64", "rot13", "latin9", ""])
def test_unknown_header_label_falls_through_to_meta(label: str) -> None:
    data = _page("Условия", "cp1251", _meta("windows-1251"))
    assert "Условия" in _texts(data, f"text/html; charset={label}")


def test_unknown_meta_label_is_passed_over_for_the_next_meta() -> None:
    data = _page("Условия", "cp1251", _meta("foo") + _meta("windows-1251"))
    assert "Условия" in _texts(data)


def test_commented_out_or_non_pragma_meta_is_ignored() -> None:
    head = (
        '<!-- <meta charset="iso-8859-2"> -->'
        '<meta name="description" content="charset=iso-8859-2">'
        '<meta property="x" content=\'<meta charset="iso-8859-2">\'>' + _meta("windows-1251")
    )
    assert "Условия" in _texts(_page("Условия", "cp1251", head))


def test_x_user_defined() -> None:
    # in a <meta> it means windows-1252; in the header, bytes 0x80-0xFF are U+F780-U+F7FF
    assert _QUOTES in _texts(_page(_QUOTES, "cp1252", _meta("x-user-defined")))
    data = _page("caf@", "ascii").replace(b"caf@", b"caf\xe9")
    assert "caf\uf7e9" in _texts(data, "text/html; charset=x-user-defined")


def test_utf16_meta_on_an_ascii_compatible_page_means_utf8() -> None:
    for label in ("utf-16", "utf-16le", "UTF-16BE", "unicode"):
        assert "café “x”" in _texts(_page("café “x”", "utf-8", _meta(label)))


def test_header_wins_over_meta() -> None:
    assert "Условия" in _texts(
        _page("Условия", "cp1251", _meta("iso-8859-1")), "text/html; charset=windows-1251"
    )
    assert _QUOTES in _texts(
        _page(_QUOTES, "cp1252", _meta("utf-8")), "text/html; charset=windows-1252"
    )


def test_bom_wins_over_header() -> None:
    text = "café “x” 利用規約"
    data = b"\xef\xbb\xbf" + _page(text, "utf-8", _meta("iso-8859-1"))
    assert text in _texts(data, "text/html; charset=iso-8859-1")
    assert text in _texts(b"\xff\xfe" + _page(text, "utf-16-le"), "text/html; charset=latin1")
    assert text in _texts(b"\xfe\xff" + _page(text, "utf-16-be"))


def test_undeclared_pages() -> None:
    assert _QUOTES in _texts(_page(_QUOTES, "cp1252"))
    assert _QUOTES in _texts(_page(_QUOTES, "cp1252"), "text/html")
    assert "café “x” 利用規約" in _texts(_page("café “x” 利用規約", "utf-8"))


def test_windows_1252_bytes_python_leaves_undefined_are_c1_controls() -> None:
    # WHATWG's index maps 0x81 0x8D 0x8F 0x90 0x9D to the same code points, not U+FFFD
    text = decode_html(b"<p>a\x81b\x9dc \x80</p>", "text/html; charset=windows-1252")
    assert text == "<p>a\x81b\x9dc €</p>"


@pytest.mark.parametrize(
    ("data", "content_type", "expected"),
    [
        (b"<meta charset=latin1>", None, "windows-1252"),
        (b"<meta charset=gb2312>", None, "GBK"),
        (b"", "text/html; charset=us-ascii", "windows-1252"),
        (b"", "text/html; charset=utf-7", None),
        (b"<meta charset=utf-7>", None, None),
        (b"<meta charset=utf-16>", None, "UTF-8"),
        (b"", "text/html; charset=utf-16", "UTF-16LE"),
        (b"\xef\xbb\xbf<meta charset=koi8-r>", "text/html; charset=latin1", "UTF-8"),
    ],
)
def test_sniff_encoding_names_whatwg_encodings(
    data: bytes, content_type: str | None, expected: str | None
) -> None:
    assert sniff_encoding(data, content_type) == expected


_GARBAGE_LABELS = [
    "base64", "rot13", "hex", "zlib", "bz2", "uu", "undefined", "idna", "punycode",
    "unicode_escape", "raw_unicode_escape", "utf-32", "mbcs", "utf-7", "x-user-defined",
    "replacement", "iso-2022-kr", "hz-gb-2312", "utf-16", "\x00", "é",
]  # fmt: skip


@pytest.mark.parametrize("label", _GARBAGE_LABELS)
def test_any_label_gives_text_or_an_extraction_error(label: str) -> None:
    for data, content_type in [
        (_page("café", "utf-8", _meta(label)), None),
        (_page("café", "utf-8"), f"text/html; charset={label}"),
    ]:
        with contextlib.suppress(ExtractionError):
            extract(data, content_type=content_type)


@pytest.mark.parametrize("label", ["iso-2022-kr", "hz-gb-2312", "iso-2022-cn", "csiso2022kr"])
def test_replacement_encodings_give_no_text(label: str) -> None:
    # browsers decode these to one U+FFFD (they can hide markup from filters)
    with pytest.raises(ExtractionError, match="refuse to decode"):
        extract(_page("café", "utf-8"), content_type=f"text/html; charset={label}")
    with pytest.raises(ExtractionError, match="refuse to decode"):
        extract(_page("café", "utf-8", _meta(label)))


def test_random_bytes_under_any_label_give_text_or_an_extraction_error() -> None:
    rnd = random.Random(1)
    labels = ["utf-16", "shift_jis", "iso-2022-jp", "gb18030", "big5", "euc-kr", "x-user-defined"]
    for _ in range(200):
        data = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300)))
        for content_type in [None, *(f"text/html; charset={label}" for label in labels)]:
            with contextlib.suppress(ExtractionError):
                extract(data, content_type=content_type)
