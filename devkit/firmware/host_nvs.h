/* Reads one namespace of an NVS partition image for the host board: see host_nvs.c. */
#ifndef HOST_NVS_H
#define HOST_NVS_H

#include <stddef.h>
#include <stdint.h>

#include "ff_config.h"

typedef struct {
  const uint8_t *image;
  size_t len;
  uint8_t ns;
} host_nvs;

/** Opens namespace `name`; 0 when the image has none (as Preferences' read-only begin fails). */
int host_nvs_open(host_nvs *nvs, const uint8_t *image, size_t len, const char *name);

/** ff_kv_source callbacks; `user` is the opened host_nvs. */
ff_kv_status host_nvs_get_str(void *user, const char *key, char *buf, size_t cap);
ff_kv_status host_nvs_get_u16(void *user, const char *key, uint16_t *out);

#endif /* HOST_NVS_H */
