#!/usr/bin/env python3
"""Independent reference for the FieldFlash shared protocol (docs/protocol.md).

Writes docs/protocol-vectors.tsv. The TypeScript code of the app and the C code of the firmware
are both checked against that file, so this script deliberately shares no code with either: it is
the third implementation that arbitrates between them. Only the Python standard library is used
(hashlib, hmac, zlib).

Everything is deterministic: every token is derived from fixed seed bytes (SHA-256 of a label), so
running the script twice gives the same file byte for byte.

Usage:
    python3 docs/tools/make_protocol_vectors.py           # rewrite docs/protocol-vectors.tsv
    python3 docs/tools/make_protocol_vectors.py --check   # exit 1 if the file is out of date
"""

from __future__ import annotations

import hashlib
import hmac
import re
import sys
import zlib
from pathlib import Path

ALPHABET_LOWER = "0123456789abcdefghjkmnpqrstvwxyz"
ALPHABET_UPPER = ALPHABET_LOWER.upper()
PREFIX = "ffpt_"
BODY_LEN = 52
CHECKSUM_LEN = 7
TOKEN_LEN = len(PREFIX) + BODY_LEN + CHECKSUM_LEN
VERIFY_CONTEXT = "fieldflash-verify-v1|"
UID_RE = re.compile(r"[0-9A-Za-z._-]{4,90}")
FW_RE = re.compile(r"[0-9A-Za-z._+-]{0,32}")
FP_RE = re.compile(r"[0-9a-f]{8}")
CODE_RE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
MAC_RE = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}")
KEY_RE = re.compile(r"[a-z][a-z0-9_]*")
REQUIRED_KEYS = ("v", "uid", "fp", "code", "mac")

OUT_PATH = Path(__file__).resolve().parent.parent / "protocol-vectors.tsv"


# --- primitives ---------------------------------------------------------------------------------


def base32_bits(data: bytes, alphabet: str) -> str:
    """Bits MSB-first, groups of five, the last group right-padded with zero bits."""
    # Done through one big integer, unlike the shift-register loops of the TS and C code, so a
    # shared bit-order mistake cannot hide.
    nbits = len(data) * 8
    ndigits = -(-nbits // 5)
    value = int.from_bytes(data, "big") << (ndigits * 5 - nbits)
    return "".join(alphabet[(value >> (5 * (ndigits - 1 - i))) & 31] for i in range(ndigits))


def base32_int(value: int, digits: int) -> str:
    assert 0 <= value < 32**digits
    return "".join(ALPHABET_LOWER[(value >> (5 * (digits - 1 - i))) & 31] for i in range(digits))


def checksum(prefix_and_body: str) -> str:
    return base32_int(zlib.crc32(prefix_and_body.encode("ascii")) & 0xFFFFFFFF, CHECKSUM_LEN)


def make_token(seed: bytes, prefix: str = PREFIX) -> str:
    """A provisioning token (ffpt_), or with REG_PREFIX a registration token: the same format."""
    assert len(seed) == 32
    body = base32_bits(seed, ALPHABET_LOWER)
    assert len(body) == BODY_LEN
    return prefix + body + checksum(prefix + body)


def token_problem(token: str, prefix: str = PREFIX) -> str | None:
    """The first rule a string breaks, in the order of docs/protocol.md, or None."""
    raw = token.encode("utf-8")  # lengths and positions are counted in UTF-8 bytes
    if not raw.startswith(prefix.encode("ascii")):
        return "prefix"
    if len(raw) != TOKEN_LEN:
        return "length"
    rest = raw[len(prefix):]
    if any(chr(b) not in ALPHABET_LOWER for b in rest):
        return "alphabet"
    if ALPHABET_LOWER.index(chr(rest[BODY_LEN - 1])) % 16 != 0:
        return "padding"
    if checksum(token[: len(prefix) + BODY_LEN]) != token[len(prefix) + BODY_LEN:]:
        return "checksum"
    return None


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:8]


def verification_code(token: str, uid: str) -> str:
    digest = hmac.new(token.encode("utf-8"), (VERIFY_CONTEXT + uid).encode("utf-8"), hashlib.sha256).digest()
    digits = base32_bits(digest[:5], ALPHABET_UPPER)
    assert len(digits) == 8
    return digits[:4] + "-" + digits[4:]


def format_banner(uid: str, fp: str, code: str, mac: str, fw: str) -> str:
    assert UID_RE.fullmatch(uid) and FP_RE.fullmatch(fp) and CODE_RE.fullmatch(code)
    assert MAC_RE.fullmatch(mac) and FW_RE.fullmatch(fw)
    return f"FFBOOT v=1 uid={uid} fp={fp} code={code} mac={mac} fw={fw}"


def format_error(uid: str, reason: str) -> str:
    # An invalid UID cannot be printed safely, so that one error line carries no uid key.
    if reason == "uid":
        return "FFERR v=1 reason=uid"
    assert UID_RE.fullmatch(uid)
    return f"FFERR v=1 uid={uid} reason={reason}"


def parse_banner(line: str) -> str | None:
    """The expected column of a banner_parse vector, or None when the line holds no banner."""
    at = line.rfind("FFBOOT ")
    if at < 0:
        return None
    rest = line[at + len("FFBOOT "):]
    if rest.endswith("\r"):
        rest = rest[:-1]
    fields: dict[str, str] = {}
    for part in rest.split(" "):
        key, eq, value = part.partition("=")
        if not eq or not KEY_RE.fullmatch(key):
            continue  # noise: not a key=value pair
        if key in fields:
            return f"error duplicate:{key}"
        fields[key] = value
    for key in REQUIRED_KEYS:
        if key not in fields:
            return f"error missing:{key}"
    mac = fields["mac"].lower()
    if fields["v"] != "1":
        return "error version"
    if not UID_RE.fullmatch(fields["uid"]):
        return "error uid"
    if not FP_RE.fullmatch(fields["fp"]):
        return "error fp"
    if not CODE_RE.fullmatch(fields["code"]):
        return "error code"
    if not MAC_RE.fullmatch(mac):
        return "error mac"
    fw = fields.get("fw", "")
    return f"ok uid={fields['uid']} fp={fields['fp']} code={fields['code']} mac={mac} fw={fw}"


# --- registration over the cable (docs/protocol.md, "Registration") ------------------------------

REG_PREFIX = "ffrt_"
NONCE_RE = re.compile(r"[0-9a-f]{16}")
EXP_RE = re.compile(r"[1-9][0-9]{0,11}")
HEX32_RE = re.compile(r"[0-9a-f]{32}")
WRAPPED_RE = re.compile(r"[0-9a-f]{128}")
REG_KEYS = ("v", "op", "uid", "n", "s", "exp", "rt", "tag")


def hmac256(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def registration_key(token: str, uid: str) -> bytes:
    """K_reg: what FieldFlash keeps of a provisioning token to register its board later."""
    return hmac256(token.encode("ascii"), "fieldflash-register-v1|" + uid)


def holder_key(rt: str, uid: str) -> bytes:
    """K_rt: what FieldFlash keeps of a registration token to check the board holds it."""
    return hmac256(rt.encode("ascii"), "fieldflash-holder-v1|" + uid)


def keystream(key: bytes, nonce: str, salt: str) -> bytes:
    return b"".join(hmac256(key, f"fieldflash-wrap-v1|{nonce}|{salt}|{i}") for i in (0, 1))


def reg_tag(key: bytes, op: str, uid: str, nonce: str, salt: str, exp: str, wrapped: str) -> str:
    return hmac256(key, f"fieldflash-reg-v1|{op}|{uid}|{nonce}|{salt}|{exp}|{wrapped}")[:16].hex()


def format_reg(op: str, key: bytes, uid: str, nonce: str, salt: str, exp: str, rt: str) -> str:
    assert op in ("register", "refresh") and NONCE_RE.fullmatch(nonce) and NONCE_RE.fullmatch(salt)
    assert EXP_RE.fullmatch(exp) and token_problem(rt, REG_PREFIX) is None
    wrapped = bytes(a ^ b for a, b in zip(rt.encode("ascii"), keystream(key, nonce, salt))).hex()
    tag = reg_tag(key, op, uid, nonce, salt, exp, wrapped)
    return f"FFREG v=1 op={op} uid={uid} n={nonce} s={salt} exp={exp} rt={wrapped} tag={tag}"


def format_ack(rt: str, uid: str, nonce: str, exp: str) -> str:
    proof = hmac256(holder_key(rt, uid), f"fieldflash-ack-v1|{nonce}|{exp}")[:16].hex()
    return f"FFACK v=1 uid={uid} n={nonce} rfp={fingerprint(rt)} exp={exp} proof={proof}"


def format_nak(uid: str, nonce: str, reason: str) -> str:
    return f"FFNAK v=1 uid={uid} n={nonce} reason={reason}"


def format_status(rt: str, uid: str, nonce: str, exp: str) -> str:
    proof = hmac256(holder_key(rt, uid), f"fieldflash-status-v1|{nonce}|{exp}")[:16].hex()
    return f"FFREGD v=1 uid={uid} rfp={fingerprint(rt)} exp={exp} n={nonce} proof={proof}"


def board_handles(token: str, uid: str, nonce: str, stored: tuple[str, str, str] | None, line: str):
    """What a board does with one received line: (reply or None, stored record after).

    `stored` is the board's registration record (rt, exp, fingerprint of the provisioning token it
    was registered with); it counts only while that fingerprint is the board's token's.
    """
    at = line.rfind("FFREG ")
    if at < 0:
        return None, stored
    rest = line[at + len("FFREG "):]
    if rest.endswith("\r"):
        rest = rest[:-1]
    nak = lambda reason: (format_nak(uid, nonce, reason), stored)  # noqa: E731
    fields: dict[str, str] = {}
    for part in rest.split(" "):
        key, eq, value = part.partition("=")
        if not eq or not KEY_RE.fullmatch(key):
            continue
        if key in fields:
            return nak("format")
        fields[key] = value
    if any(k not in fields for k in REG_KEYS) or fields["v"] != "1" or fields["op"] not in ("register", "refresh"):
        return nak("format")
    if not (UID_RE.fullmatch(fields["uid"]) and NONCE_RE.fullmatch(fields["n"]) and NONCE_RE.fullmatch(fields["s"])
            and EXP_RE.fullmatch(fields["exp"]) and WRAPPED_RE.fullmatch(fields["rt"]) and HEX32_RE.fullmatch(fields["tag"])):
        return nak("format")
    if fields["uid"] != uid:
        return nak("uid")
    if fields["n"] != nonce:
        return nak("nonce")
    registered = stored is not None and stored[2] == fingerprint(token)
    op = fields["op"]
    if op == "refresh" and not registered:
        return nak("unregistered")
    # Both operations are keyed by K_reg, which only a holder of the board's provisioning token
    # has: a refresh resent after it was stored then verifies and is acknowledged again.
    key = registration_key(token, uid)
    expected = reg_tag(key, op, uid, fields["n"], fields["s"], fields["exp"], fields["rt"])
    if not hmac.compare_digest(expected, fields["tag"]):
        return nak("tag")
    raw = bytes(a ^ b for a, b in zip(bytes.fromhex(fields["rt"]), keystream(key, fields["n"], fields["s"])))
    rt = raw.decode("latin-1")
    if token_problem(rt, REG_PREFIX) is not None:
        return nak("token")
    if registered and rt == stored[0]:
        # The same registration again (its acknowledgment was lost): acknowledged again, unchanged.
        return format_ack(rt, uid, nonce, stored[1]), stored
    if op == "register" and registered:
        return nak("registered")
    after = (rt, fields["exp"], fingerprint(token))
    return format_ack(rt, uid, nonce, fields["exp"]), after


def seed(label: str) -> bytes:
    return hashlib.sha256(label.encode("ascii")).digest()


def self_test() -> None:
    """Pins the primitives to published facts before any vector is written."""
    assert zlib.crc32(b"123456789") == 0xCBF43926  # the CRC-32/ISO-HDLC check value
    assert base32_bits(b"\xff", ALPHABET_LOWER) == "zw"  # 11111 111(00)
    assert base32_bits(b"\x00" * 5, ALPHABET_UPPER) == "00000000"
    assert base32_int(0xFFFFFFFF, 7) == "3zzzzzz"
    assert make_token(bytes(32))[:58] == "ffpt_" + "0" * 52 + "0"


# --- the vectors ----------------------------------------------------------------------------------


def replace_at(s: str, index: int, ch: str) -> str:
    return s[:index] + ch + s[index + 1:]


def build() -> str:
    self_test()
    out: list[str] = []
    emit = out.append

    emit("# FieldFlash shared protocol test vectors. GENERATED - do not edit by hand.")
    emit("# Source: docs/tools/make_protocol_vectors.py (independent Python reference).")
    emit("# Spec: docs/protocol.md. Read by the TypeScript tests and by test/firmware/bootstrap_vectors.c.")
    emit("# Format: UTF-8, LF line endings, tab-separated, first column = kind, '#' starts a comment line.")
    emit("# Fields are raw text (no escapes); a field may be empty. Readers ignore kinds they do not know.")
    emit("#")

    # Valid tokens: eight from hashed labels, the two extreme bodies, and two searched for edge
    # cases (a checksum with two leading zero digits, a fingerprint with leading zeros).
    named: list[tuple[str, str]] = []
    for i in range(1, 9):
        named.append((f"seed sha256('fieldflash-vector-token-{i}')", make_token(seed(f"fieldflash-vector-token-{i}"))))
    named.append(("32 zero bytes", make_token(bytes(32))))
    named.append(("32 0xff bytes", make_token(b"\xff" * 32)))
    n = 0
    while not make_token(seed(f"fieldflash-vector-small-crc-{n}"))[-CHECKSUM_LEN:].startswith("00"):
        n += 1
    named.append((f"seed sha256('fieldflash-vector-small-crc-{n}'), checksum starts 00", make_token(seed(f"fieldflash-vector-small-crc-{n}"))))
    n = 0
    while not fingerprint(make_token(seed(f"fieldflash-vector-small-fp-{n}"))).startswith("00"):
        n += 1
    named.append((f"seed sha256('fieldflash-vector-small-fp-{n}'), fingerprint starts 00", make_token(seed(f"fieldflash-vector-small-fp-{n}"))))
    tokens = [t for _, t in named]
    last_body_chars = {t[len(PREFIX) + BODY_LEN - 1] for t in tokens}
    assert last_body_chars == {"0", "g"}, last_body_chars  # both legal pad characters are covered

    emit("# token_valid<TAB>token")
    for label, token in named:
        assert token_problem(token) is None
        emit(f"# {label}")
        emit(f"token_valid\t{token}")

    # Invalid tokens: (string, expected reason, why). The reason is recomputed by the reference and
    # must agree with what the mutation was meant to break.
    t1, t2, t3 = tokens[0], tokens[1], tokens[2]
    body_end = len(PREFIX) + BODY_LEN  # index just past the 52nd body char
    pad_index = body_end - 1
    def other_pad(t: str) -> str:
        return "g" if t[pad_index] == "0" else "0"
    t_uc_body = next(t for t in tokens if any(c.isalpha() for c in t[5:body_end]))
    first_letter = next(i for i in range(5, body_end) if t_uc_body[i].isalpha())
    t_uc_sum = next(t for t in tokens if any(c.isalpha() for c in t[body_end:]))
    sum_letter = next(i for i in range(body_end, TOKEN_LEN) if t_uc_sum[i].isalpha())
    flip_index = 20
    flipped = replace_at(t1, flip_index, "1" if t1[flip_index] != "1" else "2")
    swap_index = next(i for i in range(10, body_end - 2) if t2[i] != t2[i + 1])
    swapped = t2[:swap_index] + t2[swap_index + 1] + t2[swap_index] + t2[swap_index + 2:]
    invalid: list[tuple[str, str, str]] = [
        ("", "prefix", "empty string"),
        ("ffpt", "prefix", "prefix cut short"),
        ("FFPT_" + t1[5:], "prefix", "uppercase prefix"),
        ("ffpt-" + t1[5:], "prefix", "dash instead of underscore"),
        (" " + t1[:-1], "prefix", "leading space"),
        ("fftp_" + t1[5:], "prefix", "transposed prefix letters"),
        ("ffp\u0442_" + t1[5:], "prefix", "Cyrillic te in the prefix (non-ASCII)"),
        ("ffpt_", "length", "prefix only"),
        (t1[:-1], "length", "63 chars: last checksum char missing"),
        (t1 + "0", "length", "65 chars: one char too many"),
        (t1[:-1] + "\u00e9", "length", "non-ASCII last char: 64 characters but 65 UTF-8 bytes"),
        (replace_at(t1, 33, " "), "alphabet", "a space inside the body"),
        (t1[:30] + "Z" + t1[31:-1], "length", "uppercase and too short: length is checked first"),
        (replace_at(t_uc_body, first_letter, t_uc_body[first_letter].upper()), "alphabet", "one uppercase letter in the body"),
        (replace_at(t_uc_sum, sum_letter, t_uc_sum[sum_letter].upper()), "alphabet", "one uppercase letter in the checksum"),
        (replace_at(t1, 10, "i"), "alphabet", "i is not in the alphabet"),
        (replace_at(t1, 11, "l"), "alphabet", "l is not in the alphabet"),
        (replace_at(t1, 12, "o"), "alphabet", "o is not in the alphabet"),
        (replace_at(t1, 13, "u"), "alphabet", "u is not in the alphabet"),
        (replace_at(t1, 14, "_"), "alphabet", "underscore after the prefix"),
        (replace_at(t2, 40, "-"), "alphabet", "dash in the body"),
        (replace_at(replace_at(t2, 40, "U"), pad_index, "1"), "alphabet", "bad char and bad pad: alphabet is checked first"),
        (replace_at(t1, pad_index, "1"), "padding", "pad char 1 (non-zero pad bits)"),
        (replace_at(t2, pad_index, "h"), "padding", "pad char h (non-zero pad bits)"),
        (replace_at(t3, pad_index, "z"), "padding", "pad char z (all pad bits set)"),
        (replace_at(t3, pad_index, "f"), "padding", "pad char f (data bit clear, pad bits set)"),
        (replace_at(t1, pad_index, other_pad(t1)), "checksum", "other legal pad char: padding ok, checksum catches the flipped data bit"),
        (flipped, "checksum", f"single char changed at index {flip_index}"),
        (replace_at(t2, TOKEN_LEN - 1, "0" if t2[-1] != "0" else "1"), "checksum", "last checksum char changed"),
        (swapped, "checksum", f"two adjacent chars swapped at index {swap_index}"),
        (t1[:body_end] + "z" + t1[body_end + 1:], "checksum", "first checksum digit z: the value exceeds 32 bits"),
        (t1[:body_end] + t2[body_end:], "checksum", "checksum of another token"),
    ]
    emit("#")
    emit("# token_invalid<TAB>string<TAB>reason   (reasons checked in the order prefix, length, alphabet, padding, checksum)")
    seen_reasons = set()
    for s, reason, why in invalid:
        got = token_problem(s)
        assert got == reason, (why, s, got, reason)
        assert "\t" not in s and "\n" not in s and "\r" not in s
        seen_reasons.add(reason)
        emit(f"# {why}")
        emit(f"token_invalid\t{s}\t{reason}")
    assert seen_reasons == {"prefix", "length", "alphabet", "padding", "checksum"}

    emit("#")
    emit("# fingerprint<TAB>token<TAB>fp   (first 8 lowercase hex digits of SHA-256 of the token)")
    for token in tokens:
        emit(f"fingerprint\t{token}\t{fingerprint(token)}")

    uid90 = ("plant-07.line_B." * 6)[:89] + "Z"
    assert len(uid90) == 90
    uids = ["a.b_", "ff-0123456789ab", "Boiler.Room-3_A", "PUMP-STATION-04", "dev_0001", "x-9.", "sensor.kitchen", "ESP32-C3_dev.kit-2", uid90, "0000", "zzzz-ZZZZ", "ff-zzzzzzzzzzzz"]
    emit("#")
    emit("# code<TAB>token<TAB>uid<TAB>code   (HMAC-SHA256(token, 'fieldflash-verify-v1|' + uid), 40 bits, XXXX-XXXX)")
    code_pairs: list[tuple[str, str]] = []
    for i, token in enumerate(tokens):
        code_pairs.append((token, uids[i % len(uids)]))
    # One token with several UIDs (the code binds the UID) and one UID with two tokens.
    code_pairs += [(tokens[0], uid90), (tokens[0], "A.b_"), (tokens[0], "ff-0123456789ab"), (tokens[1], "a.b_")]
    assert len(set(code_pairs)) == len(code_pairs)
    codes: dict[tuple[str, str], str] = {}
    for token, uid in code_pairs:
        assert UID_RE.fullmatch(uid)
        code = verification_code(token, uid)
        codes[(token, uid)] = code
        emit(f"code\t{token}\t{uid}\t{code}")
    assert any(len(u) == 4 for _, u in code_pairs) and any(len(u) == 90 for _, u in code_pairs)
    assert any(set("-_.") <= set(u) for _, u in code_pairs)

    emit("#")
    emit("# banner_format<TAB>uid<TAB>fp<TAB>code<TAB>mac<TAB>fw<TAB>line   (line without CRLF; the firmware adds CRLF)")
    macs = ["24:0a:c4:12:34:56", "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff", "a0:b7:65:0f:1e:2d", "3c:61:05:ab:cd:ef"]
    fws = ["0.1.0", "1.2.3-rc.1+g1a2b3c", "", "2025.11.0", "v1_0"]
    banners: list[tuple[str, str, str, str, str]] = []
    for i, (token, uid) in enumerate(code_pairs[:10]):
        banners.append((uid, fingerprint(token), codes[(token, uid)], macs[i % len(macs)], fws[i % len(fws)]))
    banners.append((uid90, fingerprint(tokens[0]), codes[(tokens[0], uid90)], macs[0], "0123456789abcdefghijklmnopqrstuv"))
    for uid, fp, code, mac, fw in banners:
        emit(f"banner_format\t{uid}\t{fp}\t{code}\t{mac}\t{fw}\t{format_banner(uid, fp, code, mac, fw)}")

    emit("#")
    emit("# error_format<TAB>uid<TAB>reason<TAB>line   (FFERR line without CRLF; reason uid omits the uid key)")
    for uid, reason in [("dev_0001", "token_prefix"), ("dev_0001", "token_length"), ("Boiler.Room-3_A", "token_alphabet"),
                        ("a.b_", "token_padding"), (uid90, "token_checksum"), ("dev_0001", "fw"), ("dev_0001", "internal"), ("", "uid")]:
        emit(f"error_format\t{uid}\t{reason}\t{format_error(uid, reason)}")

    # Banner parsing. Each case: (line, expected). The expected column is recomputed by the
    # reference parser and must agree with the intended outcome written here by hand.
    tok, uid = tokens[0], "ff-0123456789ab"
    fp, code = fingerprint(tok), verification_code(tok, uid)
    mac = "24:0a:c4:12:34:56"
    good = format_banner(uid, fp, code, mac, "0.1.0")
    ok = f"ok uid={uid} fp={fp} code={code} mac={mac} fw=0.1.0"
    ok_nofw = f"ok uid={uid} fp={fp} code={code} mac={mac} fw="
    base = f"uid={uid} fp={fp} code={code} mac={mac}"
    def without(key: str) -> str:
        parts = [p for p in good.split(" ") if not p.startswith(key + "=")]
        return " ".join(parts)
    def with_value(key: str, value: str) -> str:
        return " ".join(f"{key}={value}" if p.startswith(key + "=") else p for p in good.split(" "))
    parse_cases: list[tuple[str, str, str]] = [
        (good, ok, "the line the firmware prints"),
        ("rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT) " + good, ok, "boot noise before FFBOOT on the same line"),
        ("\u00ff\u00fe?x" + good, ok, "baud-rate garbage glued to FFBOOT"),
        ("FFBOOT v=1 uid=trunc " + good, ok, "a truncated banner then a full one: the last FFBOOT wins"),
        (good + " FFBOOT v=1 uid=" + uid, "error missing:fp", "a full banner then a truncated one: the last FFBOOT wins"),
        (f"FFBOOT v=1 {base} fw=0.1.0 rssi=-61 boot=3", ok, "unknown keys after the known ones"),
        (f"FFBOOT v=1 chip=esp32c3 {base} fw=0.1.0", ok, "unknown key between known ones"),
        (f"FFBOOT fw=0.1.0 mac={mac} code={code} fp={fp} uid={uid} v=1", ok, "keys in another order"),
        (f"FFBOOT v=1 {base}", ok_nofw, "fw is optional"),
        (f"FFBOOT v=1 {base} fw=", ok_nofw, "empty fw"),
        (f"FFBOOT  v=1  {base}  fw=0.1.0  ", ok, "runs of spaces and trailing spaces"),
        (f"FFBOOT v=1 hello {base} fw=0.1.0 world", ok, "words without = are noise"),
        (f"FFBOOT v=1 uid {base} fw=0.1.0", ok, "a bare known key without = is noise, not a duplicate"),
        (f"FFBOOT v=1 {base} fw=0.1.0 =x Rssi=1 9k=2", ok, "parts whose key is empty or not [a-z][a-z0-9_]* are noise"),
        (f"FFBOOT v=1 {base} fw=1.0=beta", f"ok uid={uid} fp={fp} code={code} mac={mac} fw=1.0=beta", "a value is everything after the first ="),
        (with_value("mac", mac.upper()), ok, "uppercase MAC is accepted and normalised"),
        (without("v"), "error missing:v", "v missing"),
        (without("uid"), "error missing:uid", "uid missing"),
        (without("fp"), "error missing:fp", "fp missing"),
        (without("code"), "error missing:code", "code missing"),
        (without("mac"), "error missing:mac", "mac missing"),
        ("FFBOOT v=1", "error missing:uid", "several missing: the first in the order v uid fp code mac"),
        ("FFBOOT ", "error missing:v", "marker only"),
        (good.replace("uid=", "UID="), "error missing:uid", "keys are case-sensitive: UID= is noise"),
        (good + f" uid={uid}", "error duplicate:uid", "uid twice"),
        (good + " fw=0.2.0", "error duplicate:fw", "fw twice"),
        (good + " rssi=1 rssi=2", "error duplicate:rssi", "duplicate unknown key"),
        (f"FFBOOT v=1 v=1 {base} fw=0.1.0 uid={uid}", "error duplicate:v", "the first key that repeats, scanning left to right"),
        (f"FFBOOT v=2 uid={uid} uid={uid}", "error duplicate:uid", "duplicate is checked before missing and version"),
        (with_value("v", "2"), "error version", "v=2"),
        (with_value("v", "01"), "error version", "v must be exactly 1"),
        (with_value("v", ""), "error version", "empty v"),
        ("FFBOOT v=2 uid=x fp=y code=z mac=w", "error version", "version is checked before the values"),
        (with_value("uid", "abc"), "error uid", "uid of 3 chars"),
        (with_value("uid", "a" * 91), "error uid", "uid of 91 chars"),
        (with_value("uid", "dev/0001"), "error uid", "slash in uid"),
        (with_value("uid", ""), "error uid", "empty uid"),
        (with_value("fp", fp[:7]), "error fp", "fp of 7 digits"),
        (with_value("fp", fp + "0"), "error fp", "fp of 9 digits"),
        (with_value("fp", "DEADBEEF"), "error fp", "uppercase fp"),
        (with_value("fp", "0123456g"), "error fp", "non-hex fp"),
        (with_value("code", code.lower()), "error code", "lowercase code"),
        (with_value("code", code.replace("-", "")), "error code", "code without the dash"),
        (with_value("code", "ABCD-EFGI"), "error code", "I is not a Crockford digit"),
        (with_value("code", "ABCD-UVWX"), "error code", "U is not a Crockford digit"),
        (with_value("code", code[:4] + "-" + code[5:] + "0"), "error code", "code of 10 chars"),
        (with_value("mac", "24-0a-c4-12-34-56"), "error mac", "MAC with dashes"),
        (with_value("mac", "24:0a:c4:12:34"), "error mac", "MAC of 5 octets"),
        (with_value("mac", "24:a:c4:12:34:56"), "error mac", "single-digit octet"),
        (with_value("mac", "240ac4123456"), "error mac", "MAC without separators"),
        (with_value("mac", "24:0a:c4:12:34:5g"), "error mac", "non-hex MAC"),
        (f"FFBOOT v=1 uid=abc fp=zz code=c mac=m", "error uid", "several bad values: the first in the order uid fp code mac"),
        (f"FFBOOT v=1 uid={uid} fp={fp} code=c mac=m", "error code", "code is checked before mac"),
    ]
    emit("#")
    emit("# banner_parse<TAB>line<TAB>expected   (expected: 'ok uid=.. fp=.. code=.. mac=.. fw=..' or 'error <reason>')")
    emit("# Every banner_parse line must give the same result with a CR appended (firmware ends lines with CRLF).")
    for line, expected, why in parse_cases:
        got = parse_banner(line)
        assert got == expected, (why, line, got, expected)
        assert parse_banner(line + "\r") == expected, ("CR", why)
        assert "\t" not in line and "\n" not in line and "\r" not in line
        emit(f"# {why}")
        emit(f"banner_parse\t{line}\t{expected}")
    reasons = {e.split(" ", 1)[1] for _, e, _ in parse_cases if e.startswith("error")}
    assert {"version", "uid", "fp", "code", "mac"} <= reasons
    assert {f"missing:{k}" for k in REQUIRED_KEYS} <= reasons

    build_registration(emit, tokens)
    return "\n".join(out) + "\n"


def build_registration(emit, tokens: list[str]) -> None:
    """Vectors of the registration exchange: keys, the four lines, and what a board does."""
    rts = [make_token(seed(f"fieldflash-vector-rt-{i}"), REG_PREFIX) for i in range(1, 4)]
    uid = "pump-0001"
    token, other_token = tokens[0], tokens[1]
    nonce, old_nonce = "0123456789abcdef", "fedcba9876543210"
    salt, salt2 = "a1b2c3d4e5f60718", "0f1e2d3c4b5a6978"
    exp, exp2 = "1830297600", "1861833600"

    emit("#")
    emit("# rtoken_valid<TAB>token   (a registration token: the provisioning token's format, prefix ffrt_)")
    for rt in rts:
        assert token_problem(rt, REG_PREFIX) is None and token_problem(rt) == "prefix"
        emit(f"rtoken_valid\t{rt}")
    emit("# rtoken_invalid<TAB>string<TAB>reason")
    for string, reason, why in [
        (token, "prefix", "a provisioning token is not a registration token"),
        (rts[0][:-1], "length", "63 chars"),
        (replace_at(rts[0], 20, "1" if rts[0][20] != "1" else "2"), "checksum", "single char changed"),
    ]:
        assert token_problem(string, REG_PREFIX) == reason, why
        emit(f"# {why}")
        emit(f"rtoken_invalid\t{string}\t{reason}")

    emit("#")
    emit("# reg_key<TAB>token<TAB>uid<TAB>K_reg hex   (HMAC-SHA256(token, 'fieldflash-register-v1|' + uid))")
    for t, u in [(token, uid), (other_token, uid), (token, "a.b_")]:
        emit(f"reg_key\t{t}\t{u}\t{registration_key(t, u).hex()}")
    emit("# holder_key<TAB>rt<TAB>uid<TAB>K_rt hex   (HMAC-SHA256(rt, 'fieldflash-holder-v1|' + uid))")
    for rt in rts[:2]:
        emit(f"holder_key\t{rt}\t{uid}\t{holder_key(rt, uid).hex()}")

    k_reg = registration_key(token, uid)
    emit("#")
    emit("# reg_line<TAB>op<TAB>key hex<TAB>uid<TAB>n<TAB>s<TAB>exp<TAB>rt<TAB>line   (FFREG, without LF)")
    reg_lines = [
        ("register", k_reg, nonce, salt, exp, rts[0]),
        ("register", k_reg, nonce, salt2, exp, rts[0]),
        ("refresh", k_reg, nonce, salt, exp2, rts[1]),
    ]
    for op, key, n, s_, e, rt in reg_lines:
        emit(f"reg_line\t{op}\t{key.hex()}\t{uid}\t{n}\t{s_}\t{e}\t{rt}\t{format_reg(op, key, uid, n, s_, e, rt)}")
    emit("# ack_line<TAB>rt<TAB>uid<TAB>n<TAB>exp<TAB>line   (FFACK, without CRLF)")
    emit(f"ack_line\t{rts[0]}\t{uid}\t{nonce}\t{exp}\t{format_ack(rts[0], uid, nonce, exp)}")
    emit(f"ack_line\t{rts[1]}\t{uid}\t{old_nonce}\t{exp2}\t{format_ack(rts[1], uid, old_nonce, exp2)}")
    emit("# status_line<TAB>rt<TAB>uid<TAB>n<TAB>exp<TAB>line   (FFREGD, without CRLF)")
    emit(f"status_line\t{rts[0]}\t{uid}\t{nonce}\t{exp}\t{format_status(rts[0], uid, nonce, exp)}")
    emit(f"status_line\t{rts[1]}\t{uid}\t{old_nonce}\t{exp2}\t{format_status(rts[1], uid, old_nonce, exp2)}")

    # What a board with `token`, `uid` and this boot's `nonce` does with one received line.
    fp = fingerprint(token)
    reg = format_reg("register", k_reg, uid, nonce, salt, exp, rts[0])
    mine = (rts[0], exp, fp)
    def tampered(line: str, key: str, value: str) -> str:
        return " ".join(f"{key}={value}" if part.startswith(key + "=") else part for part in line.split(" "))
    flipped_tag = tampered(reg, "tag", ("0" if reg[-1] != "0" else "1") + reg[-31:])
    garbage_rt = format_reg_raw("register", k_reg, uid, nonce, salt, exp, b"ffrt_" + b"!" * 59)
    cases = [
        (None, reg, "a fresh board registers: stores the token and acknowledges"),
        (mine, reg, "the same registration again (acknowledgment lost): acknowledged again, nothing changes"),
        (mine, format_reg("register", k_reg, uid, nonce, salt2, exp2, rts[1]), "a second registration for the same provisioning token is refused"),
        (None, format_reg("register", k_reg, uid, old_nonce, salt, exp, rts[0]), "captured from an earlier boot: another nonce"),
        (None, flipped_tag, "tag changed"),
        (None, tampered(reg, "exp", exp2), "exp changed after tagging"),
        (None, format_reg("register", registration_key(other_token, uid), uid, nonce, salt, exp, rts[0]), "from a party without this board's provisioning token"),
        (None, format_reg("register", registration_key(token, "pump-0002"), "pump-0002", nonce, salt, exp, rts[0]), "meant for another device"),
        (None, garbage_rt, "the wrapped value is not a registration token"),
        (None, reg[: len(reg) // 2], "a partial line (the cable was pulled)"),
        (None, "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)", "boot noise: no reply"),
        (None, "\u00ff\u00fe garbage \u0007", "binary noise: no reply"),
        (None, "xx" + reg, "noise glued before the marker"),
        (None, reg.replace("v=1", "v=2"), "another version"),
        (None, tampered(reg, "exp", "0" + exp), "exp with a leading zero"),
        (None, tampered(reg, "rt", reg.split(" rt=")[1][:128].upper()), "uppercase hex"),
        (None, reg + " uid=" + uid, "a key twice"),
        (None, format_reg("refresh", k_reg, uid, nonce, salt, exp2, rts[1]), "refresh while not registered"),
        (mine, format_reg("refresh", k_reg, uid, nonce, salt, exp2, rts[1]), "refresh: the new registration token replaces the old one"),
        (mine, format_reg("refresh", holder_key(rts[0], uid), uid, nonce, salt, exp2, rts[1]), "refresh keyed with the registration token's holder key instead of K_reg"),
        ((rts[1], exp2, fp), format_reg("refresh", k_reg, uid, nonce, salt, exp2, rts[1]), "refresh resent after it was stored (acknowledgment lost): acknowledged again, unchanged"),
        ((rts[0], exp, fingerprint(other_token)), reg, "registered with a previous provisioning token: the new one registers afresh"),
    ]
    emit("#")
    emit("# reg_handle<TAB>token<TAB>uid<TAB>n<TAB>stored<TAB>line<TAB>reply<TAB>stored after")
    emit("#   A board with that token and uid, whose boot nonce is n, receives line. stored: '' or")
    emit("#   '<rt> <exp> <fp of the provisioning token it registered with>'. reply: the line it prints")
    emit("#   (without CRLF), or '' for none.")
    replies: set[str] = set()
    for before, line, why in cases:
        reply, after = board_handles(token, uid, nonce, before, line)
        assert "\t" not in line and "\n" not in line
        replies.add("" if reply is None else reply.split(" ")[0] + (" " + reply.split("reason=")[1] if "reason=" in reply else ""))
        enc = lambda r: "" if r is None else " ".join(r)  # noqa: E731
        emit(f"# {why}")
        emit(f"reg_handle\t{token}\t{uid}\t{nonce}\t{enc(before)}\t{line}\t{reply or ''}\t{enc(after)}")
    for expected in ("FFACK", "FFNAK format", "FFNAK uid", "FFNAK nonce", "FFNAK tag", "FFNAK token", "FFNAK registered", "FFNAK unregistered", ""):
        assert expected in replies, expected


def format_reg_raw(op: str, key: bytes, uid: str, nonce: str, salt: str, exp: str, raw: bytes) -> str:
    """An FFREG line wrapping arbitrary bytes (to test what a board does with a bad token)."""
    wrapped = bytes(a ^ b for a, b in zip(raw, keystream(key, nonce, salt))).hex()
    return f"FFREG v=1 op={op} uid={uid} n={nonce} s={salt} exp={exp} rt={wrapped} tag={reg_tag(key, op, uid, nonce, salt, exp, wrapped)}"


def main(argv: list[str]) -> int:
    text = build()
    if argv[1:] == ["--check"]:
        current = OUT_PATH.read_text(encoding="utf-8") if OUT_PATH.exists() else ""
        if current != text:
            print(f"{OUT_PATH} is out of date: run python3 docs/tools/make_protocol_vectors.py", file=sys.stderr)
            return 1
        print(f"{OUT_PATH} is up to date")
        return 0
    if argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    OUT_PATH.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {OUT_PATH} ({text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
