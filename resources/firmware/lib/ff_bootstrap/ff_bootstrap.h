/**
 * @file ff_bootstrap.h
 * FieldFlash bootstrap protocol on the device: token check, fingerprint, verification code, the
 * FFBOOT banner and the FFERR line (docs/protocol.md in the FieldFlash repository).
 *
 * Plain C99, no heap, no Arduino: the same code runs on the board and in the host tests, which
 * check it against docs/protocol-vectors.tsv. Every output goes into a caller buffer whose size is
 * passed explicitly; nothing here ever writes the token or any other secret anywhere.
 */
#ifndef FF_BOOTSTRAP_H
#define FF_BOOTSTRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --- sizes (characters, without the terminating NUL unless named _BUF) ------------------------ */

#define FF_TOKEN_PREFIX "ffpt_"
#define FF_TOKEN_PREFIX_LEN 5u
#define FF_TOKEN_BODY_LEN 52u     /* 256 bits in base32; the last digit carries 1 bit + 4 pad bits */
#define FF_TOKEN_CHECKSUM_LEN 7u  /* CRC-32 in 35 bits */
#define FF_TOKEN_LEN 64u
#define FF_FP_LEN 8u              /* first 8 hex digits of SHA-256(token) */
#define FF_FP_BUF (FF_FP_LEN + 1u)
#define FF_CODE_LEN 9u            /* XXXX-XXXX */
#define FF_CODE_BUF (FF_CODE_LEN + 1u)
#define FF_UID_MIN 4u
#define FF_UID_MAX 90u
#define FF_FW_MAX 32u
#define FF_MAC_LEN 6u             /* bytes */
#define FF_VERIFY_CONTEXT "fieldflash-verify-v1|"

/**
 * Longest line the bootstrap prints: an FFBOOT line with a 90-char uid, 32-char fw, cfg=header and
 * the boot nonce (an FFREGD status line is shorter).
 */
#define FF_LINE_MAX                                                                               \
  (sizeof("FFBOOT v=1 uid=") - 1u + FF_UID_MAX + sizeof(" fp=") - 1u + FF_FP_LEN +                \
   sizeof(" code=") - 1u + FF_CODE_LEN + sizeof(" mac=") - 1u + 17u + sizeof(" fw=") - 1u +       \
   FF_FW_MAX + sizeof(" cfg=header") - 1u + sizeof(" n=") - 1u + 16u)
/** A buffer that always fits one line, its CRLF and a NUL. */
#define FF_LINE_BUF (FF_LINE_MAX + 3u)

/** Firmware version printed as fw= when device_config.h defines no FF_FIRMWARE_VERSION. */
#define FF_FIRMWARE_VERSION_DEFAULT "0.1.0"

/** Banner period while unregistered (docs/protocol.md). */
#define FF_BANNER_INTERVAL_MS 5000u

/* --- token ------------------------------------------------------------------------------------ */

/** Why a token is rejected; checked in this order. Names via ff_token_status_name(). */
typedef enum {
  FF_TOKEN_OK = 0,
  FF_TOKEN_PREFIX_BAD,   /* "prefix":   does not start with ffpt_ */
  FF_TOKEN_LENGTH_BAD,   /* "length":   not exactly 64 bytes */
  FF_TOKEN_ALPHABET_BAD, /* "alphabet": a byte outside 0-9 a-z minus i l o u (uppercase included) */
  FF_TOKEN_PADDING_BAD,  /* "padding":  non-zero pad bits in the 52nd body char */
  FF_TOKEN_CHECKSUM_BAD  /* "checksum": CRC-32 mismatch */
} ff_token_status;

/** Negative results of the functions below. */
typedef enum {
  FF_ERR_ARG = -1,     /* NULL pointer where a value is required */
  FF_ERR_SPACE = -2,   /* the caller buffer is too small; nothing useful was written */
  FF_ERR_CRYPTO = -3,  /* the crypto backend failed */
  FF_ERR_UID = -4,     /* uid breaks the Device ID rule */
  FF_ERR_FP = -5,      /* fingerprint is not 8 lowercase hex digits */
  FF_ERR_CODE = -6,    /* code is not XXXX-XXXX in uppercase Crockford base32 */
  FF_ERR_FW = -7,      /* firmware version is not 0-32 chars of 0-9 A-Z a-z . _ + - */
  FF_ERR_REASON = -8   /* FFERR reason is not 1-32 chars of a-z 0-9 _ */
} ff_error;

/** Checks a token of `len` bytes (need not be NUL-terminated); FF_TOKEN_OK when well-formed. */
ff_token_status ff_token_check(const char *token, size_t len);

/**
 * The same rules with another 5-character prefix: a registration token is `ffrt_` and the
 * provisioning token's format (ff_register.h).
 */
ff_token_status ff_token_check_prefix(const char *token, size_t len, const char *prefix);

/** The protocol name of a status: "prefix", "length", ..., or "ok". Never NULL. */
const char *ff_token_status_name(ff_token_status status);

/** Writes the 8-hex-digit fingerprint and a NUL into `out`; returns 0 or a negative ff_error. */
int ff_token_fingerprint(const char *token, size_t token_len, char out[FF_FP_BUF]);

/**
 * Writes the verification code `XXXX-XXXX` and a NUL into `out`; returns 0 or a negative
 * ff_error (FF_ERR_UID when uid breaks the Device ID rule).
 */
int ff_verification_code(const char *token, size_t token_len, const char *uid, size_t uid_len,
                         char out[FF_CODE_BUF]);

/* --- values ----------------------------------------------------------------------------------- */

/** True when `uid` (`len` bytes) is 4-90 chars of 0-9 a-z A-Z - _ . */
bool ff_uid_is_valid(const char *uid, size_t len);

/** True when `fw` (`len` bytes) is 0-32 chars of 0-9 a-z A-Z . _ + - (no space: it ends a value). */
bool ff_fw_is_valid(const char *fw, size_t len);

/* --- lines ------------------------------------------------------------------------------------ */

/**
 * Formats `FFBOOT v=1 uid=.. fp=.. code=.. mac=.. fw=..` (no CRLF) into `buf` of `cap` bytes,
 * NUL-terminated. `uid`, `fp`, `code`, `fw` are NUL-terminated; `fw` may be NULL (printed empty);
 * `mac` is 6 bytes, printed lowercase. Returns the line length or a negative ff_error.
 */
int ff_format_banner(char *buf, size_t cap, const char *uid, const char *fp, const char *code,
                     const uint8_t mac[FF_MAC_LEN], const char *fw);

/**
 * Formats `FFERR v=1 uid=<uid> reason=<reason>` (no CRLF) into `buf`. When uid is NULL or breaks
 * the Device ID rule the uid key is left out, because an invalid uid cannot be printed safely.
 * Returns the line length or a negative ff_error.
 */
int ff_format_error(char *buf, size_t cap, const char *uid, const char *reason);

/* --- boot-time helper ------------------------------------------------------------------------- */

/** Receives bytes to print (one whole line with CRLF per call). */
typedef void (*ff_write_fn)(void *user, const char *data, size_t len);
/** Returns a free-running millisecond clock; it may wrap around at 2^32. */
typedef uint32_t (*ff_clock_fn)(void *user);

/** What the device knows at boot. Strings are NUL-terminated. The token is not retained. */
typedef struct {
  const char *uid;
  const char *token;
  const uint8_t *mac; /* FF_MAC_LEN bytes: the station MAC */
  const char *fw;     /* NULL prints an empty fw value */
  uint32_t interval_ms; /* 0 selects FF_BANNER_INTERVAL_MS */
  /** Where the values came from: "nvs" or "header" appends cfg=<it> to the banner; NULL omits it. */
  const char *cfg_source;
  /** This boot's nonce (16 lowercase hex digits) appended as n=<it>; NULL omits it. */
  const char *nonce;
} ff_bootstrap_config;

/** Which line ff_bootstrap_init() armed. */
typedef enum {
  FF_BOOT_BANNER = 0,  /* FFBOOT: everything valid */
  FF_BOOT_ERR_UID,     /* FFERR reason=uid */
  FF_BOOT_ERR_TOKEN,   /* FFERR reason=token_<reason> */
  FF_BOOT_ERR_FW,      /* FFERR reason=fw */
  FF_BOOT_ERR_INTERNAL /* FFERR reason=internal (crypto failure, bad arguments) */
} ff_boot_line;

/** State of "print the line on boot and every interval". Treat as opaque. */
typedef struct {
  char line[FF_LINE_BUF]; /* the armed line with CRLF; holds no secret */
  size_t line_len;
  uint32_t interval_ms;
  uint32_t last_ms;
  bool printed;
  ff_write_fn write;
  ff_clock_fn clock;
  void *user;
} ff_bootstrap;

/**
 * Validates the config, computes fp and code, and arms the FFBOOT line (or an FFERR line saying
 * what is wrong). Prints nothing yet. Returns which line was armed; b->line is always valid after.
 */
ff_boot_line ff_bootstrap_init(ff_bootstrap *b, const ff_bootstrap_config *cfg, ff_write_fn write,
                               ff_clock_fn clock, void *user);

/**
 * Call often (from loop()). Writes the armed line on the first call and then whenever at least
 * interval_ms passed since the last write. Returns true when it wrote.
 */
bool ff_bootstrap_poll(ff_bootstrap *b);

/**
 * Replaces the periodic line with `line` (`len` bytes, no CRLF; the FFREGD status line once the
 * board is registered), printed at the next poll and then every interval. Returns false, and
 * keeps the old line, when it does not fit.
 */
bool ff_bootstrap_arm(ff_bootstrap *b, const char *line, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* FF_BOOTSTRAP_H */
