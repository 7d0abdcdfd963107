"""Bytes to text for HTML pages, the way browsers do it: BOM, HTTP charset, <meta charset>, then
UTF-8 or windows-1252.

The labels and what they mean follow the WHATWG Encoding standard
(https://encoding.spec.whatwg.org/#names-and-labels), not Python's codec registry: browsers read
``iso-8859-1``, ``latin1`` and ``us-ascii`` as windows-1252 (so 0x80-0x9F are € ’ “ ”, not C1
controls), ``gb2312`` as GBK, ``shift_jis`` as windows-31j and ``euc-kr`` as windows-949, and
they refuse labels Python would honour (``utf-7``, ``base64``, ``rot13``, ``undefined``...). The
<meta> tag is found with the HTML standard's prescan
(https://html.spec.whatwg.org/multipage/parsing.html#prescan-a-byte-stream-to-determine-its-encoding).
"""

from __future__ import annotations

import codecs
import functools
import re

from clausewatch.errors import ExtractionError

# WHATWG encoding name -> its labels (lower case, space-separated, as in the standard's table).
_LABELS: dict[str, str] = {
    "UTF-8": "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8",
    "IBM866": "866 cp866 csibm866 ibm866",
    "ISO-8859-2": (
        "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987 l2 latin2"
    ),
    "ISO-8859-3": (
        "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988 l3 latin3"
    ),
    "ISO-8859-4": (
        "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988 l4 latin4"
    ),
    "ISO-8859-5": (
        "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 iso_8859-5 "
        "iso_8859-5:1988"
    ),
    "ISO-8859-6": (
        "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6 "
        "iso-8859-6-e iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987"
    ),
    "ISO-8859-7": (
        "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 iso8859-7 "
        "iso88597 iso_8859-7 iso_8859-7:1987 sun_eu_greek"
    ),
    "ISO-8859-8": (
        "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 iso8859-8 "
        "iso88598 iso_8859-8 iso_8859-8:1988 visual"
    ),
    "ISO-8859-8-I": "csiso88598i iso-8859-8-i logical",
    "ISO-8859-10": "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6",
    "ISO-8859-13": "iso-8859-13 iso8859-13 iso885913",
    "ISO-8859-14": "iso-8859-14 iso8859-14 iso885914",
    "ISO-8859-15": "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9",
    "ISO-8859-16": "iso-8859-16",
    "KOI8-R": "cskoi8r koi koi8 koi8-r koi8_r",
    "KOI8-U": "koi8-ru koi8-u",
    "macintosh": "csmacintosh mac macintosh x-mac-roman",
    "windows-874": "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874",
    "windows-1250": "cp1250 windows-1250 x-cp1250",
    "windows-1251": "cp1251 windows-1251 x-cp1251",
    "windows-1252": (
        "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 "
        "iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252"
    ),
    "windows-1253": "cp1253 windows-1253 x-cp1253",
    "windows-1254": (
        "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 "
        "iso_8859-9:1989 l5 latin5 windows-1254 x-cp1254"
    ),
    "windows-1255": "cp1255 windows-1255 x-cp1255",
    "windows-1256": "cp1256 windows-1256 x-cp1256",
    "windows-1257": "cp1257 windows-1257 x-cp1257",
    "windows-1258": "cp1258 windows-1258 x-cp1258",
    "x-mac-cyrillic": "x-mac-cyrillic x-mac-ukrainian",
    "GBK": "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk",
    "gb18030": "gb18030",
    "Big5": "big5 big5-hkscs cn-big5 csbig5 x-x-big5",
    "EUC-JP": "cseucpkdfmtjapanese euc-jp x-euc-jp",
    "ISO-2022-JP": "csiso2022jp iso-2022-jp",
    "Shift_JIS": "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis",
    "EUC-KR": (
        "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 ksc5601 "
        "ksc_5601 windows-949"
    ),
    # ISO-2022-KR, HZ and ISO-2022-CN can smuggle markup past filters: browsers decode them
    # to a single U+FFFD, so a page labelled so has no text.
    "replacement": "csiso2022kr hz-gb-2312 iso-2022-cn iso-2022-cn-ext iso-2022-kr replacement",
    "UTF-16BE": "unicodefffe utf-16be",
    "UTF-16LE": "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le",
    "x-user-defined": "x-user-defined",
}
_ENCODINGS = {label: name for name, labels in _LABELS.items() for label in labels.split()}

# The Python codec that decodes each WHATWG encoding (the rest are ISO-8859-n and windows-n,
# below). The standard's encodings are the browsers' supersets of the names: GBK is decoded as
# gb18030, Shift_JIS as windows-31j (cp932), EUC-KR as windows-949 (cp949), Big5 with HKSCS.
_CODECS = {
    "UTF-8": "utf-8",
    "IBM866": "cp866",
    "ISO-8859-8-I": "iso8859-8",
    "KOI8-R": "koi8-r",
    "KOI8-U": "koi8-u",
    "macintosh": "mac-roman",
    "windows-874": "cp874",
    "x-mac-cyrillic": "mac-cyrillic",
    "GBK": "gb18030",
    "gb18030": "gb18030",
    "Big5": "big5hkscs",
    "EUC-JP": "euc-jp",
    "ISO-2022-JP": "iso2022-jp-ext",
    "Shift_JIS": "cp932",
    "EUC-KR": "cp949",
    "UTF-16BE": "utf-16-be",
    "UTF-16LE": "utf-16-le",
}
_SINGLE_BYTE = re.compile(
    r"ISO-8859-\d+(?:-I)?|windows-\d+|IBM866|KOI8-[RU]|macintosh|x-mac-cyrillic"
)

_BOMS = (
    (codecs.BOM_UTF8, "UTF-8"),
    (codecs.BOM_UTF16_LE, "UTF-16LE"),
    (codecs.BOM_UTF16_BE, "UTF-16BE"),
)
# The charset parameter of a Content-Type header; its value may be quoted.
_HEADER_CHARSET = re.compile(r"""(?:^|;)\s*charset\s*=\s*(?:"([^"]*)"?|'([^']*)'?|([^;]*))""", re.I)
# Prescan tokens: a comment (skipped whole, whatever it mentions), a <meta> tag with its
# attributes, any other tag (skipped whole, so a "<meta" inside an attribute value is not one).
# A quoted value may hold ">"; each byte matches one alternative, so the scan stays linear.
_TAGS = re.compile(
    rb"""<!--.*?-->
    | <meta(?=[\s/>])((?:"[^"]*"|'[^']*'|[^>"'])*)
    | </?[a-z](?:"[^"]*"|'[^']*'|[^>"'])*
    | <[!/?][^>]*""",
    re.I | re.S | re.X,
)
_ATTRIBUTE = re.compile(rb"""([^\s/>=][^\s/>=]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*)))?""")
# The charset in a <meta http-equiv="Content-Type" content="..."> (the HTML standard's
# "extracting a character encoding from a meta element").
_CONTENT_CHARSET = re.compile(rb"""charset\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s;"']+))""", re.I)
# How far the prescan reads: the standard says 1024 bytes; more only finds more.
_PRESCAN_BYTES = 4096


def _encoding(label: str | bytes | None) -> str | None:
    """The WHATWG encoding a label names (ASCII white space and case do not matter), or None."""
    if label is None:
        return None
    if isinstance(label, bytes):
        label = label.decode("latin-1")
    return _ENCODINGS.get(label.strip("\t\n\f\r ").lower())


def sniff_encoding(data: bytes, content_type: str | None = None) -> str | None:
    """The WHATWG encoding name the page declares: a BOM first, then the HTTP header, then a
    <meta> tag; None when it declares none that browsers know.

    >>> sniff_encoding(b"<meta charset=latin1>"), sniff_encoding(b"", "text/html; charset=utf-7")
    ('windows-1252', None)
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    if content_type and (m := _HEADER_CHARSET.search(content_type)):
        label = next(v for v in m.groups() if v is not None)
        if enc := _encoding(label):
            return enc
    return _prescan(data[:_PRESCAN_BYTES])


def _prescan(head: bytes) -> str | None:
    """The first <meta charset> or <meta http-equiv="content-type" content="...charset=...">
    naming a known encoding (a meta with an unknown label is passed over, as browsers do)."""
    for tag in _TAGS.finditer(head):
        if tag[1] is None:
            continue
        attributes: dict[bytes, bytes] = {}
        for attr in _ATTRIBUTE.finditer(tag[1]):
            value = next((v for v in attr.groups()[1:] if v is not None), b"")
            attributes.setdefault(attr[1].lower(), value)  # the first of a repeated name wins
        if b"charset" in attributes:
            enc = _encoding(attributes[b"charset"])
        elif (
            b"content" in attributes
            and attributes.get(b"http-equiv", b"").strip().lower() == b"content-type"
            and (m := _CONTENT_CHARSET.search(attributes[b"content"]))
        ):
            enc = _encoding(next(v for v in m.groups() if v is not None))
        else:
            continue
        if enc is None:
            continue
        # A page whose own bytes could be read to find the tag is not UTF-16; x-user-defined
        # in a meta means windows-1252.
        if enc in ("UTF-16LE", "UTF-16BE"):
            return "UTF-8"
        return "windows-1252" if enc == "x-user-defined" else enc
    return None


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """Decode page bytes; undeclared pages are read as UTF-8, falling back to windows-1252.

    Raises :class:`ExtractionError` for a page labelled with an encoding browsers refuse to
    decode (ISO-2022-KR, HZ, ISO-2022-CN: the WHATWG "replacement" encoding).

    >>> decode_html("<p>caf\\u00e9</p>".encode("cp1252"))
    '<p>café</p>'
    >>> decode_html(b"<p>\\x93quoted\\x94</p>", "text/html; charset=iso-8859-1")
    '<p>“quoted”</p>'
    """
    declared = sniff_encoding(data, content_type)
    for bom, _ in _BOMS:
        if data.startswith(bom):
            data = data[len(bom) :]
            break
    if declared is None:
        try:
            return data.decode("utf-8").lstrip("\ufeff")
        except UnicodeDecodeError:
            declared = "windows-1252"
    if declared == "replacement":
        raise ExtractionError(
            "the page is labelled with an encoding browsers refuse to decode (ISO-2022-KR, HZ or "
            "ISO-2022-CN): there is no text to extract"
        )
    if declared == "x-user-defined":
        text = data.decode("latin-1").translate(_USER_DEFINED)
    elif _SINGLE_BYTE.fullmatch(declared):
        text = codecs.charmap_decode(data, "strict", _single_byte_table(declared))[0]
    else:
        text = data.decode(_CODECS[declared], errors=_SUPERSETS)
    return text.lstrip("\ufeff")


def _whatwg_supersets(exc: UnicodeError) -> tuple[str, int]:
    """Decoding errors of the multi-byte codecs where the WHATWG decoder knows more than Python's
    codec: GBK's lone 0x80 is €, Big5 includes the windows-950 characters (€ is 0xA3E1), and
    EUC-JP includes the NEC and IBM rows of windows-31j (① ㈱ №). Anything else is U+FFFD,
    one byte at a time (so an ASCII byte after a broken lead byte, like "<", survives)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    pair = exc.object[exc.start : exc.start + 2]
    if exc.encoding == "gb18030" and pair[:1] == b"\x80":
        return "\u20ac", exc.start + 1
    if len(pair) == 2 and pair[1] >= 0x40:
        if exc.encoding == "big5hkscs":
            fallback = pair
        elif exc.encoding == "euc_jp" and min(pair) >= 0xA1 and max(pair) <= 0xFE:
            fallback = _jis_to_shift_jis(pair[0] - 0xA0, pair[1] - 0xA0)
        else:
            fallback = b""
        try:
            char = fallback.decode("cp950" if exc.encoding == "big5hkscs" else "cp932")
        except UnicodeDecodeError:
            char = ""
        if len(char) == 1:
            return char, exc.start + 2
    return "\ufffd", exc.end


def _jis_to_shift_jis(row: int, cell: int) -> bytes:
    """The Shift_JIS bytes of a JIS X 0208 row and cell (1-94 each)."""
    lead = (row + 1) // 2 + (0x80 if row <= 62 else 0xC0)
    # odd rows take trail bytes 0x40-0x7E and 0x80-0x9E (0x7F is skipped), even rows 0x9F-0xFC
    trail = (cell + (0x3F if cell <= 63 else 0x40)) if row % 2 else cell + 0x9E
    return bytes([lead, trail])


_SUPERSETS = "clausewatch-whatwg-supersets"
codecs.register_error(_SUPERSETS, _whatwg_supersets)

# x-user-defined: ASCII, then bytes 0x80-0xFF as U+F780-U+F7FF.
_USER_DEFINED = {b: 0xF700 + b for b in range(0x80, 0x100)}


@functools.cache
def _single_byte_table(name: str) -> str:
    """The 256 characters of a single-byte encoding. Bytes 0x80-0x9F that Python's codec leaves
    undefined (windows-1252's 0x81, 0x8D, 0x8F, 0x90, 0x9D...) are the C1 code points of the
    same value, as in the WHATWG indexes; any other undefined byte is U+FFFD."""
    codec = _CODECS.get(name) or name.lower().replace("windows-", "cp").replace("-", "", 1)
    chars = []
    for byte in range(256):
        try:
            chars.append(bytes([byte]).decode(codec))
        except UnicodeDecodeError:
            chars.append(chr(byte) if 0x80 <= byte <= 0x9F else "\ufffd")
    return "".join(chars)
