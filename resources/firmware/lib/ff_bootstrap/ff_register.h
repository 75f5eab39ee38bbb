/**
 * @file ff_register.h
 * Registration over the cable, device side (docs/protocol.md, "Registration over the cable"):
 * after the technician approves the board, FieldFlash sends one FFREG line carrying a registration
 * token wrapped with a key only a holder of the board's provisioning token has; the board checks
 * it, stores the token and acknowledges (FFACK), or says why not (FFNAK). Registered, it prints
 * the FFREGD status line instead of its banner.
 *
 * Plain C99, no heap, no Arduino, like ff_bootstrap: the board stores its record through the
 * callback below (Preferences on the `nvs` partition), the host board in a file, the vector tests
 * in memory. Neither the provisioning token nor the registration token is ever printed.
 */
#ifndef FF_REGISTER_H
#define FF_REGISTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ff_bootstrap.h"
#include "ff_crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FF_RT_PREFIX "ffrt_"
#define FF_NONCE_RAW 8u
#define FF_NONCE_LEN 16u /* hex digits */
#define FF_NONCE_BUF (FF_NONCE_LEN + 1u)
#define FF_EXP_MAX 12u /* decimal digits of Unix seconds */
#define FF_EXP_BUF (FF_EXP_MAX + 1u)
#define FF_KEY_LEN FF_SHA256_LEN
/** The longest received line looked at; a longer one is dropped up to its LF. */
#define FF_RX_MAX 512u
/** A buffer that fits any line the board prints here (FFACK, FFNAK, FFREGD) with CRLF and NUL. */
#define FF_REG_LINE_BUF 200u

/** What the board keeps in its own nvs partition. An empty `rt` means "not registered". */
typedef struct {
  char rt[FF_TOKEN_LEN + 1u];
  char exp[FF_EXP_BUF];
  /** Fingerprint of the provisioning token the board was registered with. */
  char pfp[FF_FP_BUF];
} ff_registration;

/** Persists a registration; returns false when it could not be stored. */
typedef bool (*ff_reg_save_fn)(void *user, const ff_registration *reg);

/** Registration state of one boot. Holds secrets (keys, the token): never print it. */
typedef struct {
  char uid[FF_UID_MAX + 1u];
  char nonce[FF_NONCE_BUF];
  char pfp[FF_FP_BUF];
  uint8_t k_reg[FF_KEY_LEN];
  ff_registration reg;
  ff_reg_save_fn save;
  void *save_user;
  char rx[FF_RX_MAX + 1u];
  size_t rx_len;
  bool rx_dropping; /* a line grew past FF_RX_MAX: ignore it up to its LF */
} ff_register;

/** Checks a registration token (prefix ffrt_, then the provisioning token's rules). */
ff_token_status ff_rtoken_check(const char *rt, size_t len);

/** K_reg = HMAC-SHA256(token, "fieldflash-register-v1|" + uid); returns 0 or a negative ff_error. */
int ff_registration_key(const char *token, size_t token_len, const char *uid, size_t uid_len,
                        uint8_t out[FF_KEY_LEN]);

/** K_rt = HMAC-SHA256(rt, "fieldflash-holder-v1|" + uid); returns 0 or a negative ff_error. */
int ff_holder_key(const char *rt, size_t rt_len, const char *uid, size_t uid_len,
                  uint8_t out[FF_KEY_LEN]);

/** 8 random bytes as the boot nonce: 16 lowercase hex digits and a NUL. */
void ff_nonce_format(const uint8_t raw[FF_NONCE_RAW], char out[FF_NONCE_BUF]);

/**
 * Formats an FFREG line (no line end) as FieldFlash sends it; the board never sends one, but the
 * vector tests check this implementation against the others with it. Returns its length or a
 * negative ff_error.
 */
int ff_format_reg(char *buf, size_t cap, const char *op, const uint8_t key[FF_KEY_LEN],
                  const char *uid, const char *nonce, const char *salt, const char *exp,
                  const char *rt);

/** FFACK v=1 uid=.. n=.. rfp=.. exp=.. proof=.. (no line end); length or a negative ff_error. */
int ff_format_ack(char *buf, size_t cap, const char *rt, const char *uid, const char *nonce,
                  const char *exp);

/** FFREGD v=1 uid=.. rfp=.. exp=.. n=.. proof=.. (no line end); length or a negative ff_error. */
int ff_format_status(char *buf, size_t cap, const char *rt, const char *uid, const char *nonce,
                     const char *exp);

/**
 * Starts a boot's registration state: the board's uid and provisioning token (already checked by
 * ff_bootstrap_init), this boot's nonce, the record it stored earlier (NULL or empty when none)
 * and where to store a new one. Returns 0 or a negative ff_error.
 */
int ff_register_init(ff_register *r, const char *uid, const char *token,
                     const char nonce[FF_NONCE_BUF], const ff_registration *stored,
                     ff_reg_save_fn save, void *save_user);

/** True when the stored record belongs to the board's current provisioning token. */
bool ff_register_is_registered(const ff_register *r);

/**
 * What the board does with one received line (without its LF; a trailing CR is ignored): writes
 * its reply (FFACK or FFNAK, without CRLF) into `out` and returns its length, or 0 when the line
 * asks nothing of the board, or a negative ff_error.
 */
int ff_register_handle_line(ff_register *r, const char *line, size_t len, char *out, size_t cap);

/**
 * Feeds bytes received on the serial line; every complete line goes through
 * ff_register_handle_line and its reply, with CRLF, to `write`. Returns true when the board
 * became registered (or its registration was refreshed) during this call.
 */
bool ff_register_feed(ff_register *r, const uint8_t *data, size_t len, ff_write_fn write,
                      void *user);

/** The FFREGD line of the current registration, without CRLF; length or a negative ff_error. */
int ff_register_status_line(const ff_register *r, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* FF_REGISTER_H */
