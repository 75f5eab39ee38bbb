/**
 * @file ff_config.h
 * Where the device's nine values come from (docs/protocol.md, "Config partition"): the `ffcfg`
 * NVS partition written by FieldFlash at flash time, or else include/device_config.h when the
 * firmware was built from a device's template. Plain C99, no heap, no Arduino: the board reads
 * NVS through the callbacks below (Arduino Preferences on `ffcfg`), the host tests through a table.
 *
 * Rules: a readable `fieldflash` namespace in `ffcfg` wins, and then every key must be there with
 * its type; otherwise the header's values are used; with neither, the board reports `cfg_none`.
 * A problem names its key in the FFERR reason: cfg_missing_<key>, cfg_type_<key>, cfg_long_<key>.
 */
#ifndef FF_CONFIG_H
#define FF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What reading one key gave. Arduino's Preferences returns a default on a type mismatch, so the
 * board's callbacks must check the stored type and answer FF_KV_WRONG_TYPE instead. */
typedef enum {
  FF_KV_OK = 0,
  FF_KV_MISSING,
  FF_KV_WRONG_TYPE,
  FF_KV_TOO_LONG /* the string does not fit the buffer offered (with its NUL) */
} ff_kv_status;

/** Reads the `fieldflash` namespace of the config partition. */
typedef struct {
  /** Copies a string value and its NUL into buf (cap bytes). */
  ff_kv_status (*get_str)(void *user, const char *key, char *buf, size_t cap);
  ff_kv_status (*get_u16)(void *user, const char *key, uint16_t *out);
  void *user;
} ff_kv_source;

/** The values of include/device_config.h, when the firmware was built with one. */
typedef struct {
  const char *uid;
  const char *platform_key;
  const char *mqtt_host;
  uint16_t mqtt_port;
  const char *mqtt_user;
  const char *mqtt_pass;
  const char *ota_base_url;
  const char *api_host;
  const char *prov_token;
} ff_header_values;

/** The device's configuration, whichever source it came from. Holds secrets: never print it. */
typedef struct {
  char uid[91];
  char platform_key[129];
  char mqtt_host[254];
  uint16_t mqtt_port;
  char mqtt_user[96];
  char mqtt_pass[129];
  char ota_base_url[513];
  char api_host[262];
  char prov_token[65];
  bool has_wifi;
  char wifi_ssid[33];
  char wifi_pass[65];
} ff_device_config;

typedef enum { FF_CFG_NVS = 0, FF_CFG_HEADER, FF_CFG_ERROR } ff_cfg_source;

typedef struct {
  ff_cfg_source source;
  /** For FF_CFG_ERROR: the FFERR reason, naming the key (at most 32 chars of a-z 0-9 _). */
  char reason[33];
} ff_cfg_result;

/**
 * Fills `out` from the config partition when `nvs` is not NULL (the `fieldflash` namespace of
 * `ffcfg` could be opened), else from `header` when not NULL. Never reads past a buffer; on an
 * error `out` is cleared.
 */
ff_cfg_result ff_config_load(ff_device_config *out, const ff_kv_source *nvs,
                             const ff_header_values *header);

/** "nvs" or "header": the banner's cfg= value for a source; NULL for FF_CFG_ERROR. */
const char *ff_cfg_source_name(ff_cfg_source source);

#ifdef __cplusplus
}
#endif

#endif /* FF_CONFIG_H */
