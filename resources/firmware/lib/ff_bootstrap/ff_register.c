/* Registration over the cable, device side. See ff_register.h and docs/protocol.md. */
#include "ff_register.h"

#include <string.h>

static const char k_hex[] = "0123456789abcdef";

#define REG_CONTEXT "fieldflash-register-v1|"
#define HOLDER_CONTEXT "fieldflash-holder-v1|"
#define WRAP_CONTEXT "fieldflash-wrap-v1|"
#define TAG_CONTEXT "fieldflash-reg-v1|"
#define ACK_CONTEXT "fieldflash-ack-v1|"
#define STATUS_CONTEXT "fieldflash-status-v1|"
#define WRAPPED_LEN (2u * FF_TOKEN_LEN) /* hex digits */
#define TAG_LEN 32u                     /* hex digits: 16 bytes */

/* --- small helpers ---------------------------------------------------------------------------- */

static size_t bounded(const char *s, size_t limit) {
  size_t n = 0;
  if (s == NULL) return 0;
  while (n < limit && s[n] != '\0') n++;
  return n;
}

static bool is_lower_hex(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
  }
  return true;
}

/** 1-12 decimal digits without a leading zero. */
static bool exp_is_valid(const char *s, size_t len) {
  if (len == 0 || len > FF_EXP_MAX || s[0] == '0') return false;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

static void to_hex(const uint8_t *data, size_t len, char *out) {
  for (size_t i = 0; i < len; i++) {
    out[2 * i] = k_hex[data[i] >> 4];
    out[2 * i + 1] = k_hex[data[i] & 0x0F];
  }
  out[2 * len] = '\0';
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/** Equal in time independent of where the first difference is (a tag is compared this way). */
static bool same_bytes(const char *a, const char *b, size_t len) {
  unsigned char diff = 0;
  for (size_t i = 0; i < len; i++) diff |= (unsigned char)(a[i] ^ b[i]);
  return diff == 0;
}

/** A message built from pieces into a bounded buffer: HMAC input never outgrows it. */
typedef struct {
  uint8_t buf[FF_RX_MAX + 64u];
  size_t len;
  bool overflow;
} message;

static void msg_put(message *m, const char *s, size_t n) {
  if (m->overflow || n > sizeof m->buf - m->len) {
    m->overflow = true;
    return;
  }
  memcpy(m->buf + m->len, s, n);
  m->len += n;
}

static void msg_puts(message *m, const char *s) { msg_put(m, s, strlen(s)); }

static int hmac_message(const uint8_t key[FF_KEY_LEN], const message *m, uint8_t out[FF_KEY_LEN]) {
  if (m->overflow) return FF_ERR_SPACE;
  return ff_hmac_sha256(key, FF_KEY_LEN, m->buf, m->len, out) == 0 ? 0 : FF_ERR_CRYPTO;
}

/** The first 16 bytes of HMAC(key, context + a + "|" + b) as 32 hex digits and a NUL. */
static int proof_hex(const uint8_t key[FF_KEY_LEN], const char *context, const char *a,
                     const char *b, char out[TAG_LEN + 1u]) {
  message m = {{0}, 0, false};
  uint8_t mac[FF_KEY_LEN];
  int rc;
  msg_puts(&m, context);
  msg_puts(&m, a);
  msg_puts(&m, "|");
  msg_puts(&m, b);
  rc = hmac_message(key, &m, mac);
  if (rc != 0) return rc;
  to_hex(mac, TAG_LEN / 2u, out);
  return 0;
}

/** The 64-byte keystream that wraps a registration token for one (nonce, salt). */
static int keystream(const uint8_t key[FF_KEY_LEN], const char *nonce, const char *salt,
                     uint8_t out[FF_TOKEN_LEN]) {
  for (unsigned block = 0; block < 2u; block++) {
    message m = {{0}, 0, false};
    const char index[2] = {(char)('0' + block), '\0'};
    int rc;
    msg_puts(&m, WRAP_CONTEXT);
    msg_puts(&m, nonce);
    msg_puts(&m, "|");
    msg_puts(&m, salt);
    msg_puts(&m, "|");
    msg_puts(&m, index);
    rc = hmac_message(key, &m, out + FF_KEY_LEN * block);
    if (rc != 0) return rc;
  }
  return 0;
}

static int tag_hex(const uint8_t key[FF_KEY_LEN], const char *op, const char *uid,
                   const char *nonce, const char *salt, const char *exp, const char *wrapped,
                   size_t wrapped_len, char out[TAG_LEN + 1u]) {
  message m = {{0}, 0, false};
  uint8_t mac[FF_KEY_LEN];
  int rc;
  msg_puts(&m, TAG_CONTEXT);
  msg_puts(&m, op);
  msg_puts(&m, "|");
  msg_puts(&m, uid);
  msg_puts(&m, "|");
  msg_puts(&m, nonce);
  msg_puts(&m, "|");
  msg_puts(&m, salt);
  msg_puts(&m, "|");
  msg_puts(&m, exp);
  msg_puts(&m, "|");
  msg_put(&m, wrapped, wrapped_len);
  rc = hmac_message(key, &m, mac);
  if (rc != 0) return rc;
  to_hex(mac, TAG_LEN / 2u, out);
  return 0;
}

static int derive(const char *secret, size_t secret_len, const char *context, const char *uid,
                  size_t uid_len, uint8_t out[FF_KEY_LEN]) {
  message m = {{0}, 0, false};
  if (secret == NULL || uid == NULL || out == NULL) return FF_ERR_ARG;
  if (!ff_uid_is_valid(uid, uid_len)) return FF_ERR_UID;
  msg_puts(&m, context);
  msg_put(&m, uid, uid_len);
  if (m.overflow) return FF_ERR_SPACE;
  return ff_hmac_sha256((const uint8_t *)secret, secret_len, m.buf, m.len, out) == 0
             ? 0
             : FF_ERR_CRYPTO;
}

/* --- values ----------------------------------------------------------------------------------- */

ff_token_status ff_rtoken_check(const char *rt, size_t len) {
  return ff_token_check_prefix(rt, len, FF_RT_PREFIX);
}

int ff_registration_key(const char *token, size_t token_len, const char *uid, size_t uid_len,
                        uint8_t out[FF_KEY_LEN]) {
  return derive(token, token_len, REG_CONTEXT, uid, uid_len, out);
}

int ff_holder_key(const char *rt, size_t rt_len, const char *uid, size_t uid_len,
                  uint8_t out[FF_KEY_LEN]) {
  return derive(rt, rt_len, HOLDER_CONTEXT, uid, uid_len, out);
}

void ff_nonce_format(const uint8_t raw[FF_NONCE_RAW], char out[FF_NONCE_BUF]) {
  to_hex(raw, FF_NONCE_RAW, out);
}

/* --- lines ------------------------------------------------------------------------------------ */

/** Copies pieces into buf (cap bytes, NUL-terminated); FF_ERR_SPACE when they do not fit. */
static int join(char *buf, size_t cap, const char *const *parts, size_t count) {
  size_t len = 0;
  if (buf == NULL || cap == 0) return FF_ERR_ARG;
  for (size_t i = 0; i < count; i++) {
    const size_t n = strlen(parts[i]);
    if (n >= cap - len) {
      buf[0] = '\0'; /* never a half line */
      return FF_ERR_SPACE;
    }
    memcpy(buf + len, parts[i], n);
    len += n;
  }
  buf[len] = '\0';
  return (int)len;
}

int ff_format_reg(char *buf, size_t cap, const char *op, const uint8_t key[FF_KEY_LEN],
                  const char *uid, const char *nonce, const char *salt, const char *exp,
                  const char *rt) {
  uint8_t stream[FF_TOKEN_LEN];
  uint8_t wrapped_raw[FF_TOKEN_LEN];
  char wrapped[WRAPPED_LEN + 1u];
  char tag[TAG_LEN + 1u];
  int rc;
  if (op == NULL || key == NULL || uid == NULL || nonce == NULL || salt == NULL || exp == NULL ||
      rt == NULL) {
    return FF_ERR_ARG;
  }
  if (ff_rtoken_check(rt, bounded(rt, FF_TOKEN_LEN + 1u)) != FF_TOKEN_OK) return FF_ERR_ARG;
  rc = keystream(key, nonce, salt, stream);
  if (rc != 0) return rc;
  for (size_t i = 0; i < FF_TOKEN_LEN; i++) wrapped_raw[i] = (uint8_t)rt[i] ^ stream[i];
  to_hex(wrapped_raw, FF_TOKEN_LEN, wrapped);
  rc = tag_hex(key, op, uid, nonce, salt, exp, wrapped, WRAPPED_LEN, tag);
  if (rc != 0) return rc;
  {
    const char *parts[] = {"FFREG v=1 op=", op,  " uid=", uid,     " n=",   nonce, " s=",
                           salt,            " exp=", exp,  " rt=", wrapped, " tag=", tag};
    return join(buf, cap, parts, sizeof parts / sizeof parts[0]);
  }
}

/** FFACK or FFREGD: both name the registration token by its fingerprint and prove holding it. */
static int format_holder_line(char *buf, size_t cap, bool ack, const char *rt, const char *uid,
                              const char *nonce, const char *exp) {
  uint8_t k_rt[FF_KEY_LEN];
  char rfp[FF_FP_BUF];
  char proof[TAG_LEN + 1u];
  int rc;
  if (rt == NULL || uid == NULL || nonce == NULL || exp == NULL) return FF_ERR_ARG;
  rc = ff_holder_key(rt, FF_TOKEN_LEN, uid, bounded(uid, FF_UID_MAX + 1u), k_rt);
  if (rc != 0) return rc;
  if (ff_token_fingerprint(rt, FF_TOKEN_LEN, rfp) != 0) return FF_ERR_CRYPTO;
  rc = proof_hex(k_rt, ack ? ACK_CONTEXT : STATUS_CONTEXT, nonce, exp, proof);
  if (rc != 0) return rc;
  if (ack) {
    const char *parts[] = {"FFACK v=1 uid=", uid, " n=", nonce,   " rfp=",
                           rfp,              " exp=", exp, " proof=", proof};
    return join(buf, cap, parts, sizeof parts / sizeof parts[0]);
  } else {
    const char *parts[] = {"FFREGD v=1 uid=", uid, " rfp=", rfp,     " exp=",
                           exp,               " n=", nonce, " proof=", proof};
    return join(buf, cap, parts, sizeof parts / sizeof parts[0]);
  }
}

int ff_format_ack(char *buf, size_t cap, const char *rt, const char *uid, const char *nonce,
                  const char *exp) {
  return format_holder_line(buf, cap, true, rt, uid, nonce, exp);
}

int ff_format_status(char *buf, size_t cap, const char *rt, const char *uid, const char *nonce,
                     const char *exp) {
  return format_holder_line(buf, cap, false, rt, uid, nonce, exp);
}

static int format_nak(char *buf, size_t cap, const char *uid, const char *nonce,
                      const char *reason) {
  const char *parts[] = {"FFNAK v=1 uid=", uid, " n=", nonce, " reason=", reason};
  return join(buf, cap, parts, sizeof parts / sizeof parts[0]);
}

/* --- the board -------------------------------------------------------------------------------- */

int ff_register_init(ff_register *r, const char *uid, const char *token,
                     const char nonce[FF_NONCE_BUF], const ff_registration *stored,
                     ff_reg_save_fn save, void *save_user) {
  size_t uid_len, token_len;
  int rc;
  if (r == NULL || uid == NULL || token == NULL || nonce == NULL) return FF_ERR_ARG;
  memset(r, 0, sizeof *r);
  uid_len = bounded(uid, FF_UID_MAX + 1u);
  token_len = bounded(token, FF_TOKEN_LEN + 1u);
  if (!ff_uid_is_valid(uid, uid_len)) return FF_ERR_UID;
  if (bounded(nonce, FF_NONCE_BUF) != FF_NONCE_LEN || !is_lower_hex(nonce, FF_NONCE_LEN)) {
    return FF_ERR_ARG;
  }
  memcpy(r->uid, uid, uid_len);
  memcpy(r->nonce, nonce, FF_NONCE_BUF);
  if (ff_token_fingerprint(token, token_len, r->pfp) != 0) return FF_ERR_CRYPTO;
  rc = ff_registration_key(token, token_len, uid, uid_len, r->k_reg);
  if (rc != 0) return rc;
  if (stored != NULL && ff_rtoken_check(stored->rt, bounded(stored->rt, FF_TOKEN_LEN + 1u)) ==
                            FF_TOKEN_OK) {
    r->reg = *stored;
  }
  r->save = save;
  r->save_user = save_user;
  return 0;
}

bool ff_register_is_registered(const ff_register *r) {
  return r != NULL && r->reg.rt[0] != '\0' && strcmp(r->reg.pfp, r->pfp) == 0;
}

/** One `key=value` pair of a received FFREG line; values point into the line. */
typedef struct {
  const char *name;
  const char *value;
  size_t len;
  bool seen;
} reg_field;

enum { F_V, F_OP, F_UID, F_N, F_S, F_EXP, F_RT, F_TAG, F_COUNT };

/** The next `key=value` pair from *pos on; noise (a bare word, a bad key) is skipped. */
static bool next_pair(const char *text, size_t len, size_t *pos, size_t *key, size_t *key_len,
                      size_t *value, size_t *value_len) {
  size_t i = *pos;
  while (i < len) {
    size_t start, end, eq;
    bool key_ok;
    while (i < len && text[i] == ' ') i++;
    start = i;
    while (i < len && text[i] != ' ') i++;
    end = i;
    for (eq = start; eq < end && text[eq] != '='; eq++) {
    }
    if (start == end || eq == end || eq == start) continue;
    /* A key is [a-z][a-z0-9_]*, as in the banner; anything else is noise. */
    key_ok = text[start] >= 'a' && text[start] <= 'z';
    for (size_t k = start + 1; key_ok && k < eq; k++) {
      const char c = text[k];
      key_ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    }
    if (!key_ok) continue;
    *key = start;
    *key_len = eq - start;
    *value = eq + 1;
    *value_len = end - eq - 1;
    *pos = i;
    return true;
  }
  *pos = i;
  return false;
}

/** Splits the text after the marker into the eight keys; false when any key repeats. */
static bool split_fields(const char *text, size_t len, reg_field fields[F_COUNT]) {
  static const char *const names[F_COUNT] = {"v", "op", "uid", "n", "s", "exp", "rt", "tag"};
  size_t pos = 0, key, key_len, value, value_len;
  for (unsigned f = 0; f < F_COUNT; f++) {
    fields[f].name = names[f];
    fields[f].value = NULL;
    fields[f].len = 0;
    fields[f].seen = false;
  }
  while (next_pair(text, len, &pos, &key, &key_len, &value, &value_len)) {
    /* A repeat of any key, known or not, makes the line malformed: look back over the earlier
     * pairs (a line is at most FF_RX_MAX bytes, so this stays small). */
    size_t back = 0, k2, k2_len, v2, v2_len;
    while (next_pair(text, key, &back, &k2, &k2_len, &v2, &v2_len)) {
      if (k2_len == key_len && memcmp(text + k2, text + key, key_len) == 0) return false;
    }
    for (unsigned f = 0; f < F_COUNT; f++) {
      if (strlen(names[f]) == key_len && memcmp(names[f], text + key, key_len) == 0) {
        fields[f].seen = true;
        fields[f].value = text + value;
        fields[f].len = value_len;
      }
    }
  }
  return true;
}

static bool field_is(const reg_field *f, const char *text) {
  return f->len == strlen(text) && memcmp(f->value, text, f->len) == 0;
}

/** Copies a field's value into a NUL-terminated buffer of `cap` bytes (it was length-checked). */
static void field_copy(const reg_field *f, char *out, size_t cap) {
  const size_t n = f->len < cap - 1u ? f->len : cap - 1u;
  memcpy(out, f->value, n);
  out[n] = '\0';
}

int ff_register_handle_line(ff_register *r, const char *line, size_t len, char *out, size_t cap) {
  static const char marker[] = "FFREG ";
  const size_t marker_len = sizeof marker - 1u;
  reg_field f[F_COUNT];
  const char *text = NULL;
  size_t text_len;
  char op[9], nonce[FF_NONCE_BUF], salt[FF_NONCE_BUF], exp[FF_EXP_BUF];
  char wrapped[WRAPPED_LEN + 1u], tag[TAG_LEN + 1u], expected[TAG_LEN + 1u];
  uint8_t stream[FF_TOKEN_LEN];
  char rt[FF_TOKEN_LEN + 1u];
  int rc;

  if (r == NULL || line == NULL || out == NULL || cap == 0) return FF_ERR_ARG;
  out[0] = '\0';
  /* The last marker wins: noise or a half line before it does not matter. */
  for (size_t i = 0; i + marker_len <= len; i++) {
    if (memcmp(line + i, marker, marker_len) == 0) text = line + i + marker_len;
  }
  if (text == NULL) return 0;
  text_len = len - (size_t)(text - line);
  if (text_len > 0 && text[text_len - 1] == '\r') text_len--;

#define NAK(reason) return format_nak(out, cap, r->uid, r->nonce, (reason))
  if (!split_fields(text, text_len, f)) NAK("format");
  for (unsigned i = 0; i < F_COUNT; i++) {
    if (!f[i].seen) NAK("format");
  }
  if (!field_is(&f[F_V], "1") || !(field_is(&f[F_OP], "register") || field_is(&f[F_OP], "refresh")))
    NAK("format");
  if (!ff_uid_is_valid(f[F_UID].value, f[F_UID].len) || f[F_N].len != FF_NONCE_LEN ||
      !is_lower_hex(f[F_N].value, FF_NONCE_LEN) || f[F_S].len != FF_NONCE_LEN ||
      !is_lower_hex(f[F_S].value, FF_NONCE_LEN) || !exp_is_valid(f[F_EXP].value, f[F_EXP].len) ||
      f[F_RT].len != WRAPPED_LEN || !is_lower_hex(f[F_RT].value, WRAPPED_LEN) ||
      f[F_TAG].len != TAG_LEN || !is_lower_hex(f[F_TAG].value, TAG_LEN)) {
    NAK("format");
  }
  if (f[F_UID].len != strlen(r->uid) || memcmp(f[F_UID].value, r->uid, f[F_UID].len) != 0) {
    NAK("uid");
  }
  if (memcmp(f[F_N].value, r->nonce, FF_NONCE_LEN) != 0) NAK("nonce");
  field_copy(&f[F_OP], op, sizeof op);
  if (strcmp(op, "refresh") == 0 && !ff_register_is_registered(r)) NAK("unregistered");

  field_copy(&f[F_N], nonce, sizeof nonce);
  field_copy(&f[F_S], salt, sizeof salt);
  field_copy(&f[F_EXP], exp, sizeof exp);
  field_copy(&f[F_RT], wrapped, sizeof wrapped);
  field_copy(&f[F_TAG], tag, sizeof tag);
  /* Both operations are keyed by K_reg: only a holder of this board's provisioning token has it. */
  rc = tag_hex(r->k_reg, op, r->uid, nonce, salt, exp, wrapped, WRAPPED_LEN, expected);
  if (rc != 0) return rc;
  if (!same_bytes(expected, tag, TAG_LEN)) NAK("tag");

  rc = keystream(r->k_reg, nonce, salt, stream);
  if (rc != 0) return rc;
  for (size_t i = 0; i < FF_TOKEN_LEN; i++) {
    const int hi = hex_value(wrapped[2 * i]);
    const int lo = hex_value(wrapped[2 * i + 1]);
    rt[i] = (char)(((hi << 4) | lo) ^ stream[i]);
  }
  rt[FF_TOKEN_LEN] = '\0';
  memset(stream, 0, sizeof stream);
  if (ff_rtoken_check(rt, FF_TOKEN_LEN) != FF_TOKEN_OK) {
    memset(rt, 0, sizeof rt);
    NAK("token");
  }

  if (ff_register_is_registered(r) && same_bytes(rt, r->reg.rt, FF_TOKEN_LEN)) {
    /* The same registration again: its acknowledgment was lost. Acknowledge, change nothing. */
    memset(rt, 0, sizeof rt);
    return ff_format_ack(out, cap, r->reg.rt, r->uid, r->nonce, r->reg.exp);
  }
  if (strcmp(op, "register") == 0 && ff_register_is_registered(r)) {
    memset(rt, 0, sizeof rt);
    NAK("registered");
  }
  {
    ff_registration next;
    memset(&next, 0, sizeof next);
    memcpy(next.rt, rt, sizeof next.rt);
    memcpy(next.exp, exp, strlen(exp) + 1u); /* the rest stays zero: records compare whole */
    memcpy(next.pfp, r->pfp, sizeof next.pfp);
    memset(rt, 0, sizeof rt);
    if (r->save != NULL && !r->save(r->save_user, &next)) NAK("storage");
    r->reg = next;
  }
#undef NAK
  return ff_format_ack(out, cap, r->reg.rt, r->uid, r->nonce, r->reg.exp);
}

bool ff_register_feed(ff_register *r, const uint8_t *data, size_t len, ff_write_fn write,
                      void *user) {
  bool changed = false;
  if (r == NULL || data == NULL) return false;
  for (size_t i = 0; i < len; i++) {
    const char c = (char)data[i];
    if (c != '\n') {
      if (r->rx_dropping) continue;
      if (r->rx_len >= FF_RX_MAX) {
        /* Longer than any FFREG line: noise (or an attack). Ignore it up to its LF. */
        r->rx_dropping = true;
        r->rx_len = 0;
        continue;
      }
      r->rx[r->rx_len++] = c;
      continue;
    }
    if (!r->rx_dropping) {
      char reply[FF_REG_LINE_BUF];
      const ff_registration before = r->reg;
      const int n = ff_register_handle_line(r, r->rx, r->rx_len, reply, sizeof reply - 2u);
      if (n > 0 && write != NULL) {
        reply[n] = '\r';
        reply[n + 1] = '\n';
        write(user, reply, (size_t)n + 2u);
      }
      if (memcmp(&before, &r->reg, sizeof before) != 0) changed = true;
    }
    r->rx_len = 0;
    r->rx_dropping = false;
  }
  return changed;
}

int ff_register_status_line(const ff_register *r, char *buf, size_t cap) {
  if (!ff_register_is_registered(r)) return FF_ERR_ARG;
  return ff_format_status(buf, cap, r->reg.rt, r->uid, r->nonce, r->reg.exp);
}
