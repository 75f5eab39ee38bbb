/* ff_crypto backend on mbedtls: the ESP32 Arduino core (mbedtls 2.x up to core 2.x / ESP-IDF 4,
 * 3.x from core 3.x / ESP-IDF 5) and Debian's libmbedtls-dev (2.28 on Debian 12). */
#include "ff_crypto.h"

#if defined(FF_CRYPTO_USE_MBEDTLS)

#include <mbedtls/md.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

int ff_sha256(const uint8_t *data, size_t len, uint8_t out[FF_SHA256_LEN]) {
  /* 3.0 removed the *_ret names and made the plain names return int; 2.x still has the old void
   * mbedtls_sha256(), deprecated, so the _ret variant is the one that reports errors there. */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
  return mbedtls_sha256(data, len, out, 0);
#else
  return mbedtls_sha256_ret(data, len, out, 0);
#endif
}

int ff_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len,
                   uint8_t out[FF_SHA256_LEN]) {
  const mbedtls_md_info_t *info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
  if (info == NULL) return -1;
  /* mbedtls_md_hmac has the same signature in 2.x and 3.x and wipes its own key state. */
  return mbedtls_md_hmac(info, key, key_len, msg, msg_len, out);
}

const char *ff_crypto_backend(void) { return "mbedtls"; }

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int ff_crypto_mbedtls_not_selected;
#endif
