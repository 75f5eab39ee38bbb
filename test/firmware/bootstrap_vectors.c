/*
 * Host test: checks lib/ff_bootstrap against docs/protocol-vectors.tsv, the vector file the
 * TypeScript tests read too, plus a few fixed checks of what vectors cannot express (buffer bounds,
 * the 5-second schedule, clock wrap-around).
 *
 * Usage: bootstrap_vectors <path/to/protocol-vectors.tsv>
 * Prints one line per failure, then exactly "N passed, M failed"; exit status 0 only if M == 0.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ff_bootstrap.h"
#include "ff_crypto.h"
#include "ff_register.h"

#define MAX_FIELDS 10
#define MAX_LINE 2048

static unsigned g_passed;
static unsigned g_failed;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void check(int ok, unsigned line_no, const char *kind, const char *fmt, ...);

static void check(int ok, unsigned line_no, const char *kind, const char *fmt, ...) {
  va_list ap;
  if (ok) {
    g_passed++;
    return;
  }
  g_failed++;
  printf("FAIL line %u %s: ", line_no, kind);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
}

/* --- capture of what the bootstrap helper writes ---------------------------------------------- */

typedef struct {
  char out[4 * FF_LINE_BUF];
  size_t len;
  unsigned writes;
  uint32_t now;
} capture;

static void capture_write(void *user, const char *data, size_t len) {
  capture *c = (capture *)user;
  if (len < sizeof c->out - c->len) {
    memcpy(c->out + c->len, data, len);
    c->len += len;
    c->out[c->len] = '\0';
  }
  c->writes++;
}

static uint32_t capture_clock(void *user) { return ((capture *)user)->now; }

static const uint8_t k_mac[FF_MAC_LEN] = {0x24, 0x0a, 0xc4, 0x12, 0x34, 0x56};

/** Runs init with `cfg` + one poll and leaves the written bytes in *c. */
static ff_boot_line boot_once_cfg(capture *c, const ff_bootstrap_config *cfg) {
  ff_bootstrap b;
  ff_boot_line kind;
  memset(c, 0, sizeof *c);
  kind = ff_bootstrap_init(&b, cfg, capture_write, capture_clock, c);
  ff_bootstrap_poll(&b);
  return kind;
}

/** Runs init + one poll and leaves the written bytes in *c. */
static ff_boot_line boot_once(capture *c, const char *uid, const char *token, const char *fw) {
  ff_bootstrap b;
  ff_bootstrap_config cfg;
  memset(&cfg, 0, sizeof cfg);
  ff_boot_line kind;
  memset(c, 0, sizeof *c);
  cfg.uid = uid;
  cfg.token = token;
  cfg.mac = k_mac;
  cfg.fw = fw;
  cfg.interval_ms = 0;
  kind = ff_bootstrap_init(&b, &cfg, capture_write, capture_clock, c);
  ff_bootstrap_poll(&b);
  return kind;
}

/* --- vector kinds ----------------------------------------------------------------------------- */

static int parse_mac(const char *text, uint8_t mac[FF_MAC_LEN]) {
  unsigned v[FF_MAC_LEN];
  char tail;
  if (strlen(text) != 17) return 0;
  if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) !=
      6) {
    return 0;
  }
  for (size_t i = 0; i < FF_MAC_LEN; i++) mac[i] = (uint8_t)v[i];
  return 1;
}

static void token_valid(unsigned n, char **f) {
  ff_token_status st = ff_token_check(f[1], strlen(f[1]));
  check(st == FF_TOKEN_OK, n, "token_valid", "rejected as %s", ff_token_status_name(st));
}

static void token_invalid(unsigned n, char **f) {
  capture c;
  char expected[FF_LINE_BUF];
  ff_token_status st = ff_token_check(f[1], strlen(f[1]));
  ff_boot_line kind;
  check(strcmp(ff_token_status_name(st), f[2]) == 0, n, "token_invalid", "got %s, expected %s",
        ff_token_status_name(st), f[2]);
  /* The board must say why instead of printing a banner. */
  kind = boot_once(&c, "dev_0001", f[1], "0.1.0");
  snprintf(expected, sizeof expected, "FFERR v=1 uid=dev_0001 reason=token_%s\r\n", f[2]);
  check(kind == FF_BOOT_ERR_TOKEN && strcmp(c.out, expected) == 0, n, "token_invalid",
        "boot printed \"%.*s\"", (int)strcspn(c.out, "\r\n"), c.out);
}

static void fingerprint(unsigned n, char **f) {
  char fp[FF_FP_BUF];
  int rc = ff_token_fingerprint(f[1], strlen(f[1]), fp);
  check(rc == 0 && strcmp(fp, f[2]) == 0, n, "fingerprint", "got %s (rc %d), expected %s",
        rc == 0 ? fp : "-", rc, f[2]);
}

static void code(unsigned n, char **f) {
  char got[FF_CODE_BUF];
  char needle[FF_CODE_LEN + 8];
  capture c;
  ff_boot_line kind;
  int rc = ff_verification_code(f[1], strlen(f[1]), f[2], strlen(f[2]), got);
  check(rc == 0 && strcmp(got, f[3]) == 0, n, "code", "got %s (rc %d), expected %s",
        rc == 0 ? got : "-", rc, f[3]);
  /* The same value must reach the banner the board prints, and the token must not. */
  kind = boot_once(&c, f[2], f[1], "0.1.0");
  snprintf(needle, sizeof needle, " code=%s ", f[3]);
  check(kind == FF_BOOT_BANNER && strstr(c.out, needle) != NULL && strstr(c.out, f[1]) == NULL &&
            c.writes == 1,
        n, "code", "boot line \"%.*s\" lacks %s", (int)strcspn(c.out, "\r\n"), c.out, needle);
}

static void banner_format(unsigned n, char **f) {
  char buf[FF_LINE_BUF];
  uint8_t mac[FF_MAC_LEN];
  int len, exact, short_by_one;
  size_t want = strlen(f[6]);
  if (!parse_mac(f[4], mac)) {
    check(0, n, "banner_format", "unreadable mac %s in the vector", f[4]);
    return;
  }
  len = ff_format_banner(buf, sizeof buf, f[1], f[2], f[3], mac, f[5]);
  check(len >= 0 && (size_t)len == want && strcmp(buf, f[6]) == 0, n, "banner_format",
        "got \"%s\" (rc %d)", len >= 0 ? buf : "", len);
  /* Bounds: a buffer of exactly length+1 fits, one byte less is refused and left empty. */
  exact = ff_format_banner(buf, want + 1, f[1], f[2], f[3], mac, f[5]);
  check(exact >= 0 && (size_t)exact == want, n, "banner_format", "exact-size buffer gave %d", exact);
  short_by_one = ff_format_banner(buf, want, f[1], f[2], f[3], mac, f[5]);
  check(short_by_one == FF_ERR_SPACE && buf[0] == '\0', n, "banner_format",
        "short buffer gave %d", short_by_one);
}

static void error_format(unsigned n, char **f) {
  char buf[FF_LINE_BUF];
  int len = ff_format_error(buf, sizeof buf, f[1][0] != '\0' ? f[1] : NULL, f[2]);
  check(len >= 0 && strcmp(buf, f[3]) == 0, n, "error_format", "got \"%s\" (rc %d)",
        len >= 0 ? buf : "", len);
}

/* --- registration ---------------------------------------------------------------------------- */

static void hex_of(const uint8_t *data, size_t len, char *out) {
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < len; i++) {
    out[2 * i] = hex[data[i] >> 4];
    out[2 * i + 1] = hex[data[i] & 0x0F];
  }
  out[2 * len] = '\0';
}

static int unhex(const char *text, uint8_t *out, size_t len) {
  if (strlen(text) != 2 * len) return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned v;
    if (sscanf(text + 2 * i, "%2x", &v) != 1) return 0;
    out[i] = (uint8_t)v;
  }
  return 1;
}

static void rtoken_valid(unsigned n, char **f) {
  ff_token_status st = ff_rtoken_check(f[1], strlen(f[1]));
  check(st == FF_TOKEN_OK && ff_token_check(f[1], strlen(f[1])) == FF_TOKEN_PREFIX_BAD, n,
        "rtoken_valid", "rejected as %s", ff_token_status_name(st));
}

static void rtoken_invalid(unsigned n, char **f) {
  ff_token_status st = ff_rtoken_check(f[1], strlen(f[1]));
  check(strcmp(ff_token_status_name(st), f[2]) == 0, n, "rtoken_invalid", "got %s, expected %s",
        ff_token_status_name(st), f[2]);
}

static void key_vector(unsigned n, char **f, const char *kind,
                       int (*derive)(const char *, size_t, const char *, size_t, uint8_t *)) {
  uint8_t key[FF_KEY_LEN];
  char hex[2 * FF_KEY_LEN + 1];
  int rc = derive(f[1], strlen(f[1]), f[2], strlen(f[2]), key);
  if (rc == 0) hex_of(key, sizeof key, hex);
  check(rc == 0 && strcmp(hex, f[3]) == 0, n, kind, "got %s (rc %d)", rc == 0 ? hex : "-", rc);
}

static void reg_key(unsigned n, char **f) { key_vector(n, f, "reg_key", ff_registration_key); }
static void holder_key(unsigned n, char **f) { key_vector(n, f, "holder_key", ff_holder_key); }

static void reg_line(unsigned n, char **f) {
  uint8_t key[FF_KEY_LEN];
  char buf[FF_RX_MAX + 1];
  int len;
  if (!unhex(f[2], key, sizeof key)) {
    check(0, n, "reg_line", "unreadable key in the vector");
    return;
  }
  len = ff_format_reg(buf, sizeof buf, f[1], key, f[3], f[4], f[5], f[6], f[7]);
  check(len > 0 && strcmp(buf, f[8]) == 0, n, "reg_line", "got \"%s\" (rc %d)",
        len > 0 ? buf : "", len);
  /* The registration token must not appear in what crosses the cable. */
  check(strstr(buf, f[7]) == NULL && strstr(buf, f[7] + 5) == NULL, n, "reg_line",
        "the line carries the token in the clear");
}

static void holder_line(unsigned n, char **f, const char *kind,
                        int (*format)(char *, size_t, const char *, const char *, const char *,
                                      const char *)) {
  char buf[FF_REG_LINE_BUF];
  int len = format(buf, sizeof buf, f[1], f[2], f[3], f[4]);
  check(len > 0 && strcmp(buf, f[5]) == 0, n, kind, "got \"%s\" (rc %d)", len > 0 ? buf : "",
        len);
  check(strstr(buf, f[1]) == NULL, n, kind, "the line carries the token");
}

static void ack_line(unsigned n, char **f) { holder_line(n, f, "ack_line", ff_format_ack); }
static void status_line(unsigned n, char **f) {
  holder_line(n, f, "status_line", ff_format_status);
}

/** Parses "<rt> <exp> <pfp>" (or "") into a stored record. */
static int parse_stored(const char *text, ff_registration *reg) {
  memset(reg, 0, sizeof *reg);
  if (text[0] == '\0') return 1;
  return sscanf(text, "%64s %12s %8s", reg->rt, reg->exp, reg->pfp) == 3;
}

typedef struct {
  ff_registration saved;
  unsigned saves;
} memory_nvs;

static bool memory_save(void *user, const ff_registration *reg) {
  memory_nvs *m = (memory_nvs *)user;
  m->saved = *reg;
  m->saves++;
  return true;
}

static void reg_handle(unsigned n, char **f) {
  ff_register r;
  ff_registration stored, after;
  memory_nvs nvs = {{{0}, {0}, {0}}, 0};
  char reply[FF_REG_LINE_BUF];
  char got_after[128];
  int len, rc;
  capture c;
  if (!parse_stored(f[4], &stored) || !parse_stored(f[7], &after)) {
    check(0, n, "reg_handle", "unreadable stored record in the vector");
    return;
  }
  rc = ff_register_init(&r, f[2], f[1], f[3], &stored, memory_save, &nvs);
  if (rc != 0) {
    check(0, n, "reg_handle", "init failed (rc %d)", rc);
    return;
  }
  len = ff_register_handle_line(&r, f[5], strlen(f[5]), reply, sizeof reply);
  check(len >= 0 && strcmp(len > 0 ? reply : "", f[6]) == 0, n, "reg_handle",
        "replied \"%s\" (rc %d), expected \"%s\"", len > 0 ? reply : "", len, f[6]);
  if (r.reg.rt[0] == '\0') {
    got_after[0] = '\0';
  } else {
    snprintf(got_after, sizeof got_after, "%s %s %s", r.reg.rt, r.reg.exp, r.reg.pfp);
  }
  check(strcmp(got_after, f[7]) == 0, n, "reg_handle", "stored \"%s\", expected \"%s\"",
        got_after, f[7]);
  /* Stored only when the record changed; the reply never carries a token. */
  check((nvs.saves > 0) == (strcmp(f[4], f[7]) != 0), n, "reg_handle", "saved %u times",
        nvs.saves);
  check(strstr(reply, f[1]) == NULL && (after.rt[0] == '\0' || strstr(reply, after.rt) == NULL),
        n, "reg_handle", "the reply carries a token");

  /* The same line through the serial feed, split in two and ending CR LF, gives the same reply. */
  rc = ff_register_init(&r, f[2], f[1], f[3], &stored, memory_save, &nvs);
  memset(&c, 0, sizeof c);
  {
    const size_t half = strlen(f[5]) / 2;
    ff_register_feed(&r, (const uint8_t *)f[5], half, capture_write, &c);
    ff_register_feed(&r, (const uint8_t *)f[5] + half, strlen(f[5]) - half, capture_write, &c);
    ff_register_feed(&r, (const uint8_t *)"\r\n", 2, capture_write, &c);
  }
  {
    char expected[FF_REG_LINE_BUF + 2];
    snprintf(expected, sizeof expected, "%s%s", f[6], f[6][0] != '\0' ? "\r\n" : "");
    check(rc == 0 && strcmp(c.out, expected) == 0, n, "reg_handle",
          "through the feed: \"%.*s\"", (int)strcspn(c.out, "\r\n"), c.out);
  }
}

typedef struct {
  const char *kind;
  size_t fields;
  void (*run)(unsigned, char **);
} vector_kind;

static const vector_kind k_kinds[] = {
    {"token_valid", 2, token_valid},     {"token_invalid", 3, token_invalid},
    {"fingerprint", 3, fingerprint},     {"code", 4, code},
    {"banner_format", 7, banner_format}, {"error_format", 4, error_format},
    {"rtoken_valid", 2, rtoken_valid},   {"rtoken_invalid", 3, rtoken_invalid},
    {"reg_key", 4, reg_key},             {"holder_key", 4, holder_key},
    {"reg_line", 9, reg_line},           {"ack_line", 6, ack_line},
    {"status_line", 6, status_line},     {"reg_handle", 8, reg_handle},
};

/* --- fixed checks ----------------------------------------------------------------------------- */

static void fixed_checks(void) {
  static const char *const token = "ffpt_z7q5m49tb2fr7md1gswjdzcm8qs5njpz6j7dwqdxaqjgaw90q19g2a4aqpy";
  char uid91[92];
  char fw33[34];
  char buf[FF_LINE_BUF];
  capture c;
  ff_bootstrap b;
  ff_bootstrap_config cfg;
  memset(&cfg, 0, sizeof cfg);
  const char *first_line;

  memset(uid91, 'a', 91);
  uid91[91] = '\0';
  memset(fw33, '1', 33);
  fw33[33] = '\0';
  check(ff_uid_is_valid("abcd", 4) && !ff_uid_is_valid("abc", 3) && ff_uid_is_valid(uid91, 90) &&
            !ff_uid_is_valid(uid91, 91) && !ff_uid_is_valid("dev 01", 6) &&
            !ff_uid_is_valid("dev/01", 6),
        0, "fixed", "uid rule 4-90 of 0-9 a-z A-Z - _ .");
  check(ff_fw_is_valid("", 0) && ff_fw_is_valid(fw33, 32) && !ff_fw_is_valid(fw33, 33) &&
            !ff_fw_is_valid("1.0 beta", 8),
        0, "fixed", "fw rule 0-32 of 0-9 a-z A-Z . _ + -");
  check(ff_format_banner(buf, sizeof buf, "abc", "3e851a53", "9MX8-7ANJ", k_mac, "") == FF_ERR_UID &&
            ff_format_banner(buf, sizeof buf, "abcd", "3E851A53", "9MX8-7ANJ", k_mac, "") ==
                FF_ERR_FP &&
            ff_format_banner(buf, sizeof buf, "abcd", "3e851a53", "9mx8-7anj", k_mac, "") ==
                FF_ERR_CODE &&
            ff_format_banner(buf, sizeof buf, "abcd", "3e851a53", "9MX8-7ANJ", k_mac, "1 2") ==
                FF_ERR_FW,
        0, "fixed", "banner formatter refuses values a parser would reject");

  /* A bad uid cannot be printed, so the error line leaves the uid key out. */
  check(boot_once(&c, "a b", token, "0.1.0") == FF_BOOT_ERR_UID &&
            strcmp(c.out, "FFERR v=1 reason=uid\r\n") == 0,
        0, "fixed", "invalid uid gave \"%s\"", c.out);
  check(boot_once(&c, "dev_0001", token, "1.0 beta") == FF_BOOT_ERR_FW &&
            strcmp(c.out, "FFERR v=1 uid=dev_0001 reason=fw\r\n") == 0,
        0, "fixed", "invalid fw gave \"%s\"", c.out);
  check(boot_once(&c, "dev_0001", token, NULL) == FF_BOOT_BANNER &&
            strstr(c.out, " fw=\r\n") != NULL,
        0, "fixed", "NULL fw should print an empty fw value, got \"%s\"", c.out);

  /* Schedule: on boot, then every 5000 ms, never twice in a period, stopped by registration. */
  memset(&c, 0, sizeof c);
  cfg.uid = "dev_0001";
  cfg.token = token;
  cfg.mac = k_mac;
  cfg.fw = "0.1.0";
  cfg.interval_ms = 0;
  c.now = 0xFFFFF000u; /* start near the 32-bit wrap so the period must cross it */
  check(ff_bootstrap_init(&b, &cfg, capture_write, capture_clock, &c) == FF_BOOT_BANNER &&
            c.writes == 0,
        0, "fixed", "init must not print");
  check(ff_bootstrap_poll(&b) && c.writes == 1, 0, "fixed", "first poll prints the banner");
  first_line = "FFBOOT v=1 uid=dev_0001 fp=3e851a53 code=";
  check(strncmp(c.out, first_line, strlen(first_line)) == 0 &&
            c.len >= 2 && c.out[c.len - 2] == '\r' && c.out[c.len - 1] == '\n',
        0, "fixed", "banner line with CRLF, got \"%s\"", c.out);
  c.now += 4999u;
  check(!ff_bootstrap_poll(&b) && c.writes == 1, 0, "fixed", "nothing before 5000 ms");
  c.now += 1u; /* 5000 ms after the first line, past the wrap */
  check(ff_bootstrap_poll(&b) && c.writes == 2, 0, "fixed", "second line at 5000 ms across wrap");
  c.now += 12000u; /* a stalled loop: one line, not two */
  check(ff_bootstrap_poll(&b) && !ff_bootstrap_poll(&b) && c.writes == 3, 0, "fixed",
        "a late poll prints once");
  c.now += 4999u;
  check(!ff_bootstrap_poll(&b) && c.writes == 3, 0, "fixed", "period restarts from the late line");
  c.now += 1u;
  check(ff_bootstrap_poll(&b) && c.writes == 4, 0, "fixed", "line again 5000 ms later");
  /* Registered: the status line replaces the banner, at once and then on the same period. */
  check(ff_bootstrap_arm(&b, "FFREGD v=1 uid=dev_0001", 23) && ff_bootstrap_poll(&b) &&
            c.writes == 5 && strcmp(c.out + c.len - 25, "FFREGD v=1 uid=dev_0001\r\n") == 0,
        0, "fixed", "an armed status line is printed at the next poll");
  c.now += 4999u;
  check(!ff_bootstrap_poll(&b) && c.writes == 5, 0, "fixed", "status line: nothing before 5000 ms");
  c.now += 1u;
  check(ff_bootstrap_poll(&b) && c.writes == 6, 0, "fixed", "status line again 5000 ms later");
  check(!ff_bootstrap_arm(&b, buf, sizeof b.line), 0, "fixed", "a line too long is refused");
  check(strstr(c.out, token) == NULL, 0, "fixed", "the token must never be printed");

  /* The nonce ends the banner: n=<16 hex>; a malformed one is left out. */
  cfg.nonce = "0123456789abcdef";
  check(boot_once_cfg(&c, &cfg) == FF_BOOT_BANNER && strstr(c.out, " n=0123456789abcdef\r\n") != NULL,
        0, "fixed", "banner with nonce: \"%s\"", c.out);
  cfg.nonce = "0123456789ABCDEF";
  check(boot_once_cfg(&c, &cfg) == FF_BOOT_BANNER && strstr(c.out, " n=") == NULL, 0, "fixed",
        "an uppercase nonce is not printed: \"%s\"", c.out);
  cfg.nonce = NULL;

  /* A received line longer than the buffer is dropped up to its LF, then lines work again. */
  {
    ff_register r;
    static char flood[FF_RX_MAX * 3];
    memset(flood, 'x', sizeof flood);
    memcpy(flood + 10, "FFREG v=1", 9);
    check(ff_register_init(&r, "dev_0001", token, "0123456789abcdef", NULL, NULL, NULL) == 0, 0,
          "fixed", "register init");
    memset(&c, 0, sizeof c);
    ff_register_feed(&r, (const uint8_t *)flood, sizeof flood, capture_write, &c);
    ff_register_feed(&r, (const uint8_t *)"\nFFREG v=1\n", 12, capture_write, &c);
    check(c.writes == 1 && strstr(c.out, "FFNAK v=1 uid=dev_0001 n=0123456789abcdef reason=format") ==
                               c.out,
          0, "fixed", "flood then a short line: \"%s\"", c.out);
    check(!ff_register_is_registered(&r), 0, "fixed", "noise never registers");
  }

  cfg.interval_ms = 250;
  memset(&c, 0, sizeof c);
  ff_bootstrap_init(&b, &cfg, capture_write, capture_clock, &c);
  ff_bootstrap_poll(&b);
  c.now = 250;
  check(ff_bootstrap_poll(&b) && c.writes == 2, 0, "fixed", "a configured interval is honoured");
  check(ff_bootstrap_init(&b, &cfg, NULL, capture_clock, &c) == FF_BOOT_ERR_INTERNAL &&
            !ff_bootstrap_poll(&b),
        0, "fixed", "no write callback: nothing to do, no crash");
}

/* --- main ------------------------------------------------------------------------------------- */

int main(int argc, char **argv) {
  FILE *fp;
  char line[MAX_LINE];
  unsigned line_no = 0;
  unsigned vectors = 0;

  if (argc != 2) {
    fprintf(stderr, "usage: %s <protocol-vectors.tsv>\n", argv[0]);
    return 2;
  }
  fp = fopen(argv[1], "r");
  if (fp == NULL) {
    fprintf(stderr, "cannot open %s\n", argv[1]);
    return 2;
  }
  printf("# crypto backend: %s\n", ff_crypto_backend());

  while (fgets(line, sizeof line, fp) != NULL) {
    char *fields[MAX_FIELDS];
    size_t nfields = 0;
    size_t len = strlen(line);
    char *p = line;
    line_no++;
    if (len > 0 && line[len - 1] == '\n') {
      line[--len] = '\0';
    } else if (!feof(fp)) {
      check(0, line_no, "file", "line longer than %d bytes", MAX_LINE - 2);
      break;
    }
    if (len > 0 && line[len - 1] == '\r') {
      check(0, line_no, "file", "CR line ending: the vector file must use LF");
      continue;
    }
    if (len == 0 || line[0] == '#') continue;
    /* Split on tabs; empty fields are kept (an empty uid or fw is meaningful). */
    fields[nfields++] = p;
    while ((p = strchr(p, '\t')) != NULL && nfields < MAX_FIELDS) {
      *p++ = '\0';
      fields[nfields++] = p;
    }
    for (size_t k = 0; k < sizeof k_kinds / sizeof k_kinds[0]; k++) {
      if (strcmp(fields[0], k_kinds[k].kind) != 0) continue;
      vectors++;
      if (nfields != k_kinds[k].fields || p != NULL) {
        check(0, line_no, fields[0], "expected %u fields", (unsigned)k_kinds[k].fields);
      } else {
        k_kinds[k].run(line_no, fields);
      }
      break;
    }
    /* Kinds this test does not know (banner_parse, future kinds) are for other readers. */
  }
  fclose(fp);

  if (vectors == 0) check(0, 0, "file", "no vectors of a known kind in %s", argv[1]);
  fixed_checks();
  printf("# %u vector lines read\n", vectors);
  printf("%u passed, %u failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
