/**
 * @file ff_crypto.h
 * The two hash primitives ff_bootstrap needs, behind one small interface so the same protocol code
 * builds against mbedtls (ESP32 Arduino core, Debian host tests) and BearSSL (ESP8266 Arduino
 * core, which ships no mbedtls).
 *
 * Backend selection, at compile time:
 *   - ff_crypto_bearssl.c when ESP8266 or FF_CRYPTO_BEARSSL is defined;
 *   - ff_crypto_mbedtls.c otherwise.
 * Both files are always compiled (PlatformIO builds every source of a library); the one not
 * selected compiles to nothing.
 */
#ifndef FF_CRYPTO_H
#define FF_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ESP8266) || defined(FF_CRYPTO_BEARSSL)
#define FF_CRYPTO_USE_BEARSSL 1
#else
#define FF_CRYPTO_USE_MBEDTLS 1
#endif

#define FF_SHA256_LEN 32u

/** SHA-256 of `len` bytes into `out`; returns 0 on success, non-zero on a backend failure. */
int ff_sha256(const uint8_t *data, size_t len, uint8_t out[FF_SHA256_LEN]);

/** HMAC-SHA256(key, msg) into `out`; returns 0 on success, non-zero on a backend failure. */
int ff_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len,
                   uint8_t out[FF_SHA256_LEN]);

/** "mbedtls" or "bearssl": which backend this build uses (for test and diagnostic output). */
const char *ff_crypto_backend(void);

#ifdef __cplusplus
}
#endif

#endif /* FF_CRYPTO_H */
