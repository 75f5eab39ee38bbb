/* ff_crypto backend on BearSSL: the ESP8266 Arduino core ships BearSSL and no mbedtls. Host tests
 * select it with -DFF_CRYPTO_BEARSSL against Debian's libbearssl-dev. */
#include "ff_crypto.h"

#if defined(FF_CRYPTO_USE_BEARSSL)

/* Same path on the ESP8266 core (tools/sdk/include/bearssl/) and on Debian (/usr/include/bearssl/). */
#include <bearssl/bearssl.h>

int ff_sha256(const uint8_t *data, size_t len, uint8_t out[FF_SHA256_LEN]) {
  br_sha256_context ctx;
  br_sha256_init(&ctx);
  br_sha256_update(&ctx, data, len);
  br_sha256_out(&ctx, out);
  return 0; /* BearSSL hashing cannot fail */
}

int ff_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len,
                   uint8_t out[FF_SHA256_LEN]) {
  br_hmac_key_context kc;
  br_hmac_context hc;
  br_hmac_key_init(&kc, &br_sha256_vtable, key, key_len);
  br_hmac_init(&hc, &kc, 0); /* 0 = full output length */
  br_hmac_update(&hc, msg, msg_len);
  size_t n = br_hmac_out(&hc, out);
  /* The key context holds the padded token key; do not leave it on the stack. A volatile
   * pointer keeps the compiler from dropping the wipe of a dead object. */
  volatile unsigned char *p = (volatile unsigned char *)&kc;
  for (size_t i = 0; i < sizeof kc; i++) p[i] = 0;
  p = (volatile unsigned char *)&hc;
  for (size_t i = 0; i < sizeof hc; i++) p[i] = 0;
  return n == FF_SHA256_LEN ? 0 : -1;
}

const char *ff_crypto_backend(void) { return "bearssl"; }

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int ff_crypto_bearssl_not_selected;
#endif
