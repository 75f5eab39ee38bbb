// FieldFlash bootstrap firmware, shared by every board template (ESP32 family and ESP8266).
//
// Until the board is registered it prints, on boot and every 5 s, one line a technician's
// FieldFlash app recognises (docs/protocol.md):
//   FFBOOT v=1 uid=<uid> fp=<fp> code=<XXXX-XXXX> mac=<aa:bb:cc:dd:ee:ff> fw=<version>
// or, if the values in include/device_config.h are unusable, an FFERR line saying why.
//
// Secrets: PROVISIONING_TOKEN and DEVICE_MQTT_PASSWORD are never printed, logged or sent over
// serial. Only the token's fingerprint and verification code leave the board.

#include <Arduino.h>

#if defined(__has_include)
#if !__has_include("device_config.h")
#error "include/device_config.h is missing: FieldFlash renders it per device. Download this template again from FieldFlash (see include/README)."
#endif
#endif
#include "device_config.h"

#if !defined(DEVICE_UID) || !defined(PLATFORM_KEY) || !defined(MQTT_HOST) || !defined(MQTT_PORT) || \
    !defined(DEVICE_MQTT_USERNAME) || !defined(DEVICE_MQTT_PASSWORD) || !defined(OTA_BASE_URL) ||   \
    !defined(API_HOST) || !defined(PROVISIONING_TOKEN)
#error "include/device_config.h lacks one of the nine values; download this template again from FieldFlash."
#endif

#include "ff_bootstrap.h"

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
#else
#error "The FieldFlash firmware supports ESP32-family and ESP8266 boards only."
#endif

#ifndef FF_FIRMWARE_VERSION
#define FF_FIRMWARE_VERSION FF_FIRMWARE_VERSION_DEFAULT
#endif
#ifndef FF_BOARD_ID
#define FF_BOARD_ID ""
#endif

static_assert(MQTT_PORT > 0 && MQTT_PORT <= 65535, "MQTT_PORT in device_config.h must be 1-65535");

namespace {

constexpr unsigned long kSerialBaud = 115200;

// Every value the template carries, in one place, for the registration, MQTT and OTA code that
// will use them. Nothing here may be printed except uid, board id and the non-secret hosts.
struct DeviceConfig {
  const char *uid;
  const char *platformKey;
  const char *mqttHost;
  uint16_t mqttPort;
  const char *mqttUsername;
  const char *mqttPassword;  // secret: never print
  const char *otaBaseUrl;
  const char *apiHost;
  const char *provisioningToken;  // secret: never print
  const char *boardId;
  const char *firmwareVersion;
};

const DeviceConfig kConfig = {
    DEVICE_UID,          PLATFORM_KEY,       MQTT_HOST,    static_cast<uint16_t>(MQTT_PORT),
    DEVICE_MQTT_USERNAME, DEVICE_MQTT_PASSWORD, OTA_BASE_URL, API_HOST,
    PROVISIONING_TOKEN,  FF_BOARD_ID,        FF_FIRMWARE_VERSION,
};

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

// Registration hook (future work). It will present kConfig.provisioningToken to kConfig.apiHost,
// and on success persist the flag read by loadRegisteredFlag() (Preferences "fieldflash" /
// "registered" on ESP32) and return true. Until then the device stays in bootstrap mode.
bool tryRegisterDevice(const DeviceConfig & /*config*/) {
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

  ff_bootstrap_config cfg;
  cfg.uid = kConfig.uid;
  cfg.token = kConfig.provisioningToken;
  cfg.mac = mac;
  cfg.fw = kConfig.firmwareVersion;
  cfg.interval_ms = FF_BANNER_INTERVAL_MS;
  gBootLine = ff_bootstrap_init(&gBootstrap, &cfg, serialWrite, arduinoMillis, nullptr);

  if (loadRegisteredFlag()) ff_bootstrap_set_registered(&gBootstrap);
}

void loop() {
  ff_bootstrap_poll(&gBootstrap);
  // Only a well-formed token is worth presenting; with an FFERR line the board just reports.
  if (gBootLine == FF_BOOT_BANNER && !ff_bootstrap_is_registered(&gBootstrap) &&
      tryRegisterDevice(kConfig)) {
    ff_bootstrap_set_registered(&gBootstrap);
  }
  delay(10);  // the banner period is seconds; no need to spin
}
