/* FieldFlash bootstrap protocol, device side. See ff_bootstrap.h and docs/protocol.md. */
#include "ff_bootstrap.h"

#include <string.h>

#include "ff_crypto.h"

static const char k_crockford_lower[] = "0123456789abcdefghjkmnpqrstvwxyz";
static const char k_crockford_upper[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
static const char k_hex_lower[] = "0123456789abcdef";

/* --- small helpers ---------------------------------------------------------------------------- */

/** Length of a NUL-terminated string, but never reads past `limit` bytes (C99 has no strnlen). */
static size_t bounded_len(const char *s, size_t limit) {
  size_t n = 0;
  if (s == NULL) return 0;
  while (n < limit && s[n] != '\0') n++;
  return n;
}

/** Value of a lowercase Crockford digit, or -1. Uppercase is rejected on purpose: tokens are
 * canonical lowercase, so a token has exactly one spelling and one hash. */
static int crockford_lower_value(char c) {
  const char *p;
  if (c == '\0') return -1; /* strchr would find the terminator */
  p = strchr(k_crockford_lower, c);
  return p == NULL ? -1 : (int)(p - k_crockford_lower);
}

static bool is_crockford_upper(char c) { return c != '\0' && strchr(k_crockford_upper, c) != NULL; }

static bool is_alnum_ascii(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/** CRC-32 as in IEEE 802.3 / zlib (reflected, polynomial 0xEDB88320, init and final xor ~0).
 * Bitwise: it runs once per boot over 57 bytes, so a 1 KiB table would be wasted flash. */
static uint32_t crc32_ieee(const uint8_t *data, size_t len) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < len; i++) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xFFFFFFFFu;
}

/** Appends into a bounded buffer; remembers overflow instead of writing past the end. */
typedef struct {
  char *buf;
  size_t cap;
  size_t len;
  bool overflow;
} line_builder;

static void lb_put(line_builder *lb, const char *s, size_t n) {
  if (lb->overflow) return;
  if (n >= lb->cap - lb->len) { /* keep one byte for the NUL */
    lb->overflow = true;
    return;
  }
  memcpy(lb->buf + lb->len, s, n);
  lb->len += n;
  lb->buf[lb->len] = '\0';
}

static void lb_puts(line_builder *lb, const char *s) { lb_put(lb, s, strlen(s)); }

static int lb_finish(line_builder *lb) {
  if (lb->overflow) {
    lb->buf[0] = '\0'; /* never leave a half line that could be printed by mistake */
    return FF_ERR_SPACE;
  }
  return (int)lb->len;
}

/* --- token ------------------------------------------------------------------------------------ */

ff_token_status ff_token_check(const char *token, size_t len) {
  return ff_token_check_prefix(token, len, FF_TOKEN_PREFIX);
}

ff_token_status ff_token_check_prefix(const char *token, size_t len, const char *prefix) {
  const size_t body_start = FF_TOKEN_PREFIX_LEN;
  const size_t sum_start = FF_TOKEN_PREFIX_LEN + FF_TOKEN_BODY_LEN;
  uint32_t crc;

  if (token == NULL || prefix == NULL || len < FF_TOKEN_PREFIX_LEN ||
      memcmp(token, prefix, FF_TOKEN_PREFIX_LEN) != 0) {
    return FF_TOKEN_PREFIX_BAD;
  }
  if (len != FF_TOKEN_LEN) return FF_TOKEN_LENGTH_BAD;
  for (size_t i = body_start; i < FF_TOKEN_LEN; i++) {
    if (crockford_lower_value(token[i]) < 0) return FF_TOKEN_ALPHABET_BAD;
  }
  /* 256 bits fill 51 digits and 1 bit of the 52nd; its 4 low bits are padding and must be 0. */
  if ((crockford_lower_value(token[sum_start - 1]) & 0x0F) != 0) return FF_TOKEN_PADDING_BAD;

  crc = crc32_ieee((const uint8_t *)token, sum_start);
  /* 7 digits = 35 bits, most significant first; the top 3 bits are always 0. */
  for (size_t i = 0; i < FF_TOKEN_CHECKSUM_LEN; i++) {
    unsigned shift = 5u * (unsigned)(FF_TOKEN_CHECKSUM_LEN - 1u - i);
    uint32_t digit = shift >= 32u ? 0u : (crc >> shift) & 31u;
    if (token[sum_start + i] != k_crockford_lower[digit]) return FF_TOKEN_CHECKSUM_BAD;
  }
  return FF_TOKEN_OK;
}

const char *ff_token_status_name(ff_token_status status) {
  switch (status) {
    case FF_TOKEN_OK: return "ok";
    case FF_TOKEN_PREFIX_BAD: return "prefix";
    case FF_TOKEN_LENGTH_BAD: return "length";
    case FF_TOKEN_ALPHABET_BAD: return "alphabet";
    case FF_TOKEN_PADDING_BAD: return "padding";
    case FF_TOKEN_CHECKSUM_BAD: return "checksum";
  }
  return "unknown";
}

int ff_token_fingerprint(const char *token, size_t token_len, char out[FF_FP_BUF]) {
  uint8_t digest[FF_SHA256_LEN];
  if (token == NULL || out == NULL) return FF_ERR_ARG;
  if (ff_sha256((const uint8_t *)token, token_len, digest) != 0) return FF_ERR_CRYPTO;
  for (size_t i = 0; i < FF_FP_LEN / 2u; i++) {
    out[2 * i] = k_hex_lower[digest[i] >> 4];
    out[2 * i + 1] = k_hex_lower[digest[i] & 0x0F];
  }
  out[FF_FP_LEN] = '\0';
  return 0;
}

int ff_verification_code(const char *token, size_t token_len, const char *uid, size_t uid_len,
                         char out[FF_CODE_BUF]) {
  enum { CONTEXT_LEN = sizeof(FF_VERIFY_CONTEXT) - 1 };
  uint8_t msg[CONTEXT_LEN + FF_UID_MAX];
  uint8_t mac[FF_SHA256_LEN];
  uint64_t bits = 0;
  size_t pos = 0;

  if (token == NULL || uid == NULL || out == NULL) return FF_ERR_ARG;
  if (!ff_uid_is_valid(uid, uid_len)) return FF_ERR_UID; /* also bounds uid_len for msg[] */
  memcpy(msg, FF_VERIFY_CONTEXT, CONTEXT_LEN);
  memcpy(msg + CONTEXT_LEN, uid, uid_len);
  if (ff_hmac_sha256((const uint8_t *)token, token_len, msg, CONTEXT_LEN + uid_len, mac) != 0) {
    return FF_ERR_CRYPTO;
  }
  for (size_t i = 0; i < 5; i++) bits = (bits << 8) | mac[i]; /* first 40 bits, MSB first */
  for (size_t i = 0; i < 8; i++) {
    if (i == 4) out[pos++] = '-';
    out[pos++] = k_crockford_upper[(bits >> (35u - 5u * i)) & 31u];
  }
  out[pos] = '\0';
  return 0;
}

/* --- values ----------------------------------------------------------------------------------- */

bool ff_uid_is_valid(const char *uid, size_t len) {
  if (uid == NULL || len < FF_UID_MIN || len > FF_UID_MAX) return false;
  for (size_t i = 0; i < len; i++) {
    char c = uid[i];
    if (!is_alnum_ascii(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

bool ff_fw_is_valid(const char *fw, size_t len) {
  if (len > FF_FW_MAX) return false;
  if (len > 0 && fw == NULL) return false;
  for (size_t i = 0; i < len; i++) {
    char c = fw[i];
    if (!is_alnum_ascii(c) && c != '.' && c != '_' && c != '+' && c != '-') return false;
  }
  return true;
}

static bool fp_is_valid(const char *fp) {
  if (fp == NULL || bounded_len(fp, FF_FP_LEN + 1u) != FF_FP_LEN) return false;
  for (size_t i = 0; i < FF_FP_LEN; i++) {
    if (strchr(k_hex_lower, fp[i]) == NULL) return false;
  }
  return true;
}

static bool code_is_valid(const char *code) {
  if (code == NULL || bounded_len(code, FF_CODE_LEN + 1u) != FF_CODE_LEN) return false;
  for (size_t i = 0; i < FF_CODE_LEN; i++) {
    if (i == 4 ? code[i] != '-' : !is_crockford_upper(code[i])) return false;
  }
  return true;
}

static bool nonce_is_valid(const char *nonce) {
  if (nonce == NULL || bounded_len(nonce, 17u) != 16u) return false;
  for (size_t i = 0; i < 16u; i++) {
    if (strchr(k_hex_lower, nonce[i]) == NULL) return false;
  }
  return true;
}

static bool reason_is_valid(const char *reason, size_t len) {
  if (len == 0 || len > 32u) return false;
  for (size_t i = 0; i < len; i++) {
    char c = reason[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

/* --- lines ------------------------------------------------------------------------------------ */

int ff_format_banner(char *buf, size_t cap, const char *uid, const char *fp, const char *code,
                     const uint8_t mac[FF_MAC_LEN], const char *fw) {
  line_builder lb;
  char mac_text[18];
  size_t uid_len, fw_len;

  if (buf == NULL || cap == 0 || uid == NULL || mac == NULL) return FF_ERR_ARG;
  buf[0] = '\0';
  uid_len = bounded_len(uid, FF_UID_MAX + 1u);
  if (!ff_uid_is_valid(uid, uid_len)) return FF_ERR_UID;
  if (!fp_is_valid(fp)) return FF_ERR_FP;
  if (!code_is_valid(code)) return FF_ERR_CODE;
  if (fw == NULL) fw = "";
  fw_len = bounded_len(fw, FF_FW_MAX + 1u);
  if (!ff_fw_is_valid(fw, fw_len)) return FF_ERR_FW;

  for (size_t i = 0; i < FF_MAC_LEN; i++) {
    mac_text[3 * i] = k_hex_lower[mac[i] >> 4];
    mac_text[3 * i + 1] = k_hex_lower[mac[i] & 0x0F];
    mac_text[3 * i + 2] = i + 1 < FF_MAC_LEN ? ':' : '\0';
  }

  lb.buf = buf;
  lb.cap = cap;
  lb.len = 0;
  lb.overflow = false;
  lb_puts(&lb, "FFBOOT v=1 uid=");
  lb_put(&lb, uid, uid_len);
  lb_puts(&lb, " fp=");
  lb_put(&lb, fp, FF_FP_LEN);
  lb_puts(&lb, " code=");
  lb_put(&lb, code, FF_CODE_LEN);
  lb_puts(&lb, " mac=");
  lb_put(&lb, mac_text, 17);
  lb_puts(&lb, " fw=");
  lb_put(&lb, fw, fw_len);
  return lb_finish(&lb);
}

int ff_format_error(char *buf, size_t cap, const char *uid, const char *reason) {
  line_builder lb;
  size_t uid_len, reason_len;

  if (buf == NULL || cap == 0 || reason == NULL) return FF_ERR_ARG;
  buf[0] = '\0';
  reason_len = bounded_len(reason, 33u);
  if (!reason_is_valid(reason, reason_len)) return FF_ERR_REASON;
  uid_len = bounded_len(uid, FF_UID_MAX + 1u);

  lb.buf = buf;
  lb.cap = cap;
  lb.len = 0;
  lb.overflow = false;
  lb_puts(&lb, "FFERR v=1");
  if (ff_uid_is_valid(uid, uid_len)) {
    lb_puts(&lb, " uid=");
    lb_put(&lb, uid, uid_len);
  }
  lb_puts(&lb, " reason=");
  lb_put(&lb, reason, reason_len);
  return lb_finish(&lb);
}

/* --- boot-time helper ------------------------------------------------------------------------- */

/** Stores `len` bytes of a formatted line plus CRLF as the line to repeat. */
static void arm_line(ff_bootstrap *b, int len) {
  static const char fallback[] = "FFERR v=1 reason=internal";
  if (len < 0 || (size_t)len + 3u > sizeof b->line) {
    /* Cannot happen with the bounds above; still, always print something a parser understands. */
    memcpy(b->line, fallback, sizeof fallback);
    len = (int)(sizeof fallback - 1u);
  }
  b->line[len] = '\r';
  b->line[len + 1] = '\n';
  b->line[len + 2] = '\0';
  b->line_len = (size_t)len + 2u;
}

static ff_boot_line arm_error(ff_bootstrap *b, const char *uid, const char *reason,
                              ff_boot_line kind) {
  arm_line(b, ff_format_error(b->line, sizeof b->line - 2u, uid, reason));
  return kind;
}

ff_boot_line ff_bootstrap_init(ff_bootstrap *b, const ff_bootstrap_config *cfg, ff_write_fn write,
                               ff_clock_fn clock, void *user) {
  char fp[FF_FP_BUF];
  char code[FF_CODE_BUF];
  char reason[sizeof("token_checksum")];
  size_t uid_len, token_len;
  ff_token_status st;
  const char *fw;

  if (b == NULL) return FF_BOOT_ERR_INTERNAL;
  memset(b, 0, sizeof *b);
  b->write = write;
  b->clock = clock;
  b->user = user;
  b->interval_ms = FF_BANNER_INTERVAL_MS;
  if (cfg == NULL || write == NULL || clock == NULL || cfg->mac == NULL) {
    return arm_error(b, NULL, "internal", FF_BOOT_ERR_INTERNAL);
  }
  if (cfg->interval_ms != 0) b->interval_ms = cfg->interval_ms;

  uid_len = bounded_len(cfg->uid, FF_UID_MAX + 1u);
  if (!ff_uid_is_valid(cfg->uid, uid_len)) return arm_error(b, NULL, "uid", FF_BOOT_ERR_UID);

  /* One byte past the limit is enough to tell "too long" without reading an unbounded string. */
  token_len = bounded_len(cfg->token, FF_TOKEN_LEN + 1u);
  st = ff_token_check(cfg->token, token_len);
  if (st != FF_TOKEN_OK) {
    memcpy(reason, "token_", 6);
    strcpy(reason + 6, ff_token_status_name(st)); /* longest name is "checksum": fits */
    return arm_error(b, cfg->uid, reason, FF_BOOT_ERR_TOKEN);
  }

  fw = cfg->fw != NULL ? cfg->fw : "";
  if (!ff_fw_is_valid(fw, bounded_len(fw, FF_FW_MAX + 1u))) {
    return arm_error(b, cfg->uid, "fw", FF_BOOT_ERR_FW);
  }

  if (ff_token_fingerprint(cfg->token, token_len, fp) != 0 ||
      ff_verification_code(cfg->token, token_len, cfg->uid, uid_len, code) != 0) {
    return arm_error(b, cfg->uid, "internal", FF_BOOT_ERR_INTERNAL);
  }
  {
    int len = ff_format_banner(b->line, sizeof b->line - 2u, cfg->uid, fp, code, cfg->mac, fw);
    const char *src = cfg->cfg_source;
    if (len >= 0 && src != NULL && (strcmp(src, "nvs") == 0 || strcmp(src, "header") == 0)) {
      size_t src_len = strlen(src);
      /* FF_LINE_MAX counts " cfg=header": the key always fits before the CRLF. */
      if ((size_t)len + 5u + src_len + 3u <= sizeof b->line) {
        memcpy(b->line + len, " cfg=", 5u);
        memcpy(b->line + len + 5, src, src_len);
        len += (int)(5u + src_len);
        b->line[len] = '\0';
      }
    }
    if (len >= 0 && nonce_is_valid(cfg->nonce) && (size_t)len + 3u + 16u + 3u <= sizeof b->line) {
      /* FF_LINE_MAX counts " n=<16 hex>" too. */
      memcpy(b->line + len, " n=", 3u);
      memcpy(b->line + len + 3, cfg->nonce, 16u);
      len += 19;
      b->line[len] = '\0';
    }
    arm_line(b, len);
  }
  return FF_BOOT_BANNER;
}

bool ff_bootstrap_poll(ff_bootstrap *b) {
  uint32_t now;
  if (b == NULL || b->write == NULL || b->clock == NULL || b->line_len == 0) return false;
  now = b->clock(b->user);
  /* Unsigned subtraction stays correct across the 49.7-day wrap of a 32-bit millis(). A late
   * poll prints once and restarts the period from now, so a stalled loop never bursts lines. */
  if (b->printed && (uint32_t)(now - b->last_ms) < b->interval_ms) return false;
  b->write(b->user, b->line, b->line_len);
  b->printed = true;
  b->last_ms = now;
  return true;
}

bool ff_bootstrap_arm(ff_bootstrap *b, const char *line, size_t len) {
  if (b == NULL || line == NULL || len + 3u > sizeof b->line) return false;
  memcpy(b->line, line, len);
  b->line[len] = '\0';
  arm_line(b, (int)len);
  b->printed = false; /* the new line goes out at the next poll */
  return true;
}
