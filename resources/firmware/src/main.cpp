// FieldFlash bootstrap firmware, shared by every board template (ESP32 family and ESP8266).
//
// Until the board is registered it prints, on boot and every 5 s, one line a technician's
// FieldFlash app recognises (docs/protocol.md):
//   FFBOOT v=1 uid=<uid> fp=<fp> code=<XXXX-XXXX> mac=<aa:bb:cc:dd:ee:ff> fw=<version> cfg=nvs|header
// or, if its configuration is unusable, an FFERR line saying why (naming the key).
//
// Secrets: PROVISIONING_TOKEN and DEVICE_MQTT_PASSWORD are never printed, logged or sent over
// serial. Only the token's fingerprint and verification code leave the board.

#include <Arduino.h>

// The device's values come from the `ffcfg` config partition that FieldFlash writes at flash time
// (a base firmware, built once per board with `pio run -e generic`), or from include/device_config.h
// when built from one device's template. lib/ff_bootstrap/ff_config.c decides (host-tested).
// The generic base firmware never takes a header, even when one lies in include/: no device's
// secrets may end up in a firmware meant for every board.
#if defined(__has_include) && !defined(FF_GENERIC_BUILD)
#if __has_include("device_config.h")
#include "device_config.h"
#define FF_HAS_HEADER 1
#endif
#endif

#if !defined(FF_HAS_HEADER) && !defined(FF_GENERIC_BUILD)
#error "include/device_config.h is missing: download this device's template from FieldFlash (see include/README), or build the base firmware with the generic environment (pio run -e generic) and provision boards with FieldFlash."
#endif

#if defined(FF_HAS_HEADER)
#if !defined(DEVICE_UID) || !defined(PLATFORM_KEY) || !defined(MQTT_HOST) || !defined(MQTT_PORT) || \
    !defined(DEVICE_MQTT_USERNAME) || !defined(DEVICE_MQTT_PASSWORD) || !defined(OTA_BASE_URL) ||   \
    !defined(API_HOST) || !defined(PROVISIONING_TOKEN)
#error "include/device_config.h lacks one of the nine values; download this template again from FieldFlash."
#endif
static_assert(MQTT_PORT > 0 && MQTT_PORT <= 65535, "MQTT_PORT in device_config.h must be 1-65535");
#endif

#include "ff_bootstrap.h"
#include "ff_config.h"

#if defined(ARDUINO_ARCH_ESP32) || defined(ESP32)
#include <Preferences.h>
#include <esp_system.h>
#if defined(__has_include)
#if __has_include(<esp_mac.h>)
#include <esp_mac.h>  // ESP-IDF 5 (Arduino core 3.x) moved esp_read_mac() here
#endif
#endif
#define FF_TARGET_ESP32 1
#elif defined(ESP8266)
#include <ESP8266WiFi.h>
#define FF_TARGET_ESP8266 1
#if defined(FF_GENERIC_BUILD)
#error "ESP8266 has no NVS, so there is no config partition and no generic base firmware: build each device's template instead."
#endif
#else
#error "The FieldFlash firmware supports ESP32-family and ESP8266 boards only."
#endif

#ifndef FF_FIRMWARE_VERSION
#define FF_FIRMWARE_VERSION FF_FIRMWARE_VERSION_DEFAULT
#endif

namespace {

constexpr unsigned long kSerialBaud = 115200;
// The partition FieldFlash writes, and the namespace of the values inside it.
constexpr const char *kConfigPartition = "ffcfg";
constexpr const char *kConfigNamespace = "fieldflash";

// Every value the device needs, from whichever source won. Holds secrets (the MQTT password and
// the provisioning token): nothing here may be printed except the uid and the non-secret hosts.
ff_device_config gConfig;
ff_cfg_result gConfigSource;

ff_bootstrap gBootstrap;
ff_boot_line gBootLine = FF_BOOT_ERR_INTERNAL;

void serialWrite(void * /*user*/, const char *data, size_t len) {
  Serial.write(reinterpret_cast<const uint8_t *>(data), len);
}

uint32_t arduinoMillis(void * /*user*/) { return static_cast<uint32_t>(millis()); }

// The station MAC: what the app compares to detect one token flashed onto a second board.
void readStationMac(uint8_t mac[FF_MAC_LEN]) {
#if defined(FF_TARGET_ESP32)
  // Read from eFuse directly: works before WiFi is started, on every core version.
  if (esp_read_mac(mac, ESP_MAC_WIFI_STA) != ESP_OK) memset(mac, 0, FF_MAC_LEN);
#else
  WiFi.macAddress(mac);
#endif
}

#if defined(FF_TARGET_ESP32)
// Preferences returns the default value silently when a key's stored type differs from the
// getter's: check the type first, so a wrong key is named instead of read as 0 or "".
ff_kv_status prefsGetStr(void *user, const char *key, char *buf, size_t cap) {
  Preferences *prefs = static_cast<Preferences *>(user);
  if (!prefs->isKey(key)) return FF_KV_MISSING;
  if (prefs->getType(key) != PT_STR) return FF_KV_WRONG_TYPE;
  const String value = prefs->getString(key);
  if (value.length() + 1 > cap) return FF_KV_TOO_LONG;
  memcpy(buf, value.c_str(), value.length() + 1);
  return FF_KV_OK;
}

ff_kv_status prefsGetU16(void *user, const char *key, uint16_t *out) {
  Preferences *prefs = static_cast<Preferences *>(user);
  if (!prefs->isKey(key)) return FF_KV_MISSING;
  if (prefs->getType(key) != PT_U16) return FF_KV_WRONG_TYPE;
  *out = prefs->getUShort(key);
  return FF_KV_OK;
}
#endif

// Loads gConfig: the config partition (read-only) when it holds the namespace, else the header.
void loadConfig() {
#if defined(FF_HAS_HEADER)
  static const ff_header_values header = {
      DEVICE_UID,           PLATFORM_KEY, MQTT_HOST,    static_cast<uint16_t>(MQTT_PORT),
      DEVICE_MQTT_USERNAME, DEVICE_MQTT_PASSWORD, OTA_BASE_URL, API_HOST,
      PROVISIONING_TOKEN};
  const ff_header_values *fromHeader = &header;
#else
  const ff_header_values *fromHeader = nullptr;
#endif
#if defined(FF_TARGET_ESP32)
  Preferences prefs;
  if (prefs.begin(kConfigNamespace, /*readOnly=*/true, kConfigPartition)) {
    const ff_kv_source nvs = {prefsGetStr, prefsGetU16, &prefs};
    gConfigSource = ff_config_load(&gConfig, &nvs, fromHeader);
    prefs.end();
    return;
  }
#endif
  gConfigSource = ff_config_load(&gConfig, nullptr, fromHeader);
}

// True once a previous boot completed registration.
bool loadRegisteredFlag() {
#if defined(FF_TARGET_ESP32)
  Preferences prefs;
  if (!prefs.begin("fieldflash", /*readOnly=*/true)) return false;  // namespace not created yet
  const bool registered = prefs.getBool("registered", false);
  prefs.end();
  return registered;
#else
  // TODO(registration): ESP8266 has no Preferences; persist the flag (e.g. a LittleFS file)
  // when registration is implemented. Until then the banner simply runs on every boot.
  return false;
#endif
}

// Registration hook (future work). It will present gConfig.prov_token to gConfig.api_host, and on
// success persist the flag read by loadRegisteredFlag() (Preferences "fieldflash" / "registered"
// in the board's own "nvs" partition, never in "ffcfg") and return true.
bool tryRegisterDevice(const ff_device_config & /*config*/) {
  // TODO(registration): Wi-Fi join, provisioning request, wait for approval, persist flag.
  return false;
}

}  // namespace

void setup() {
  Serial.begin(kSerialBaud);
  // Ends whatever partial line the ROM left, so the first banner starts on a line of its own.
  Serial.write("\r\n");

  uint8_t mac[FF_MAC_LEN];
  readStationMac(mac);
  loadConfig();

  if (gConfigSource.source == FF_CFG_ERROR) {
    // No usable configuration: say which key (or that there is none) on every interval.
    char line[FF_LINE_BUF];
    const int len = ff_format_error(line, sizeof line - 2, gConfig.uid, gConfigSource.reason);
    if (len > 0) {
      line[len] = '\r';
      line[len + 1] = '\n';
      for (;;) {
        Serial.write(reinterpret_cast<const uint8_t *>(line), len + 2);
        delay(FF_BANNER_INTERVAL_MS);
      }
    }
  }

  ff_bootstrap_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.uid = gConfig.uid;
  cfg.token = gConfig.prov_token;
  cfg.mac = mac;
  cfg.fw = FF_FIRMWARE_VERSION;
  cfg.interval_ms = FF_BANNER_INTERVAL_MS;
  cfg.cfg_source = ff_cfg_source_name(gConfigSource.source);
  gBootLine = ff_bootstrap_init(&gBootstrap, &cfg, serialWrite, arduinoMillis, nullptr);

  if (loadRegisteredFlag()) ff_bootstrap_set_registered(&gBootstrap);
}

void loop() {
  ff_bootstrap_poll(&gBootstrap);
  // Only a well-formed token is worth presenting; with an FFERR line the board just reports.
  if (gBootLine == FF_BOOT_BANNER && !ff_bootstrap_is_registered(&gBootstrap) &&
      tryRegisterDevice(gConfig)) {
    ff_bootstrap_set_registered(&gBootstrap);
  }
  delay(10);  // the banner period is seconds; no need to spin
}
