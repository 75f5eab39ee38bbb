import { describe, expect, it } from 'vitest'
import { FieldFlashError } from '../../main/shared/errors'
import {
  checkSiteDraft,
  checkSiteProfile,
  isValidHost,
  saveSiteDraft,
  saveSiteProfile,
  validateSiteProfile,
  viewSiteProfile,
} from '../../main/site/site-profile'
import { freshStore, SAMPLE_SITE } from '../helpers/fixtures'

function failure(input: Record<string, unknown>): FieldFlashError {
  try {
    validateSiteProfile({ ...SAMPLE_SITE, ...input })
  } catch (error) {
    return error as FieldFlashError
  }
  throw new Error('expected a validation failure')
}

describe('validateSiteProfile', () => {
  it('accepts a complete profile and defaults the token lifetime to a week, a registration’s to a year', async () => {
    expect(validateSiteProfile(SAMPLE_SITE)).toEqual({
      ...SAMPLE_SITE,
      tokenLifetimeHours: 168,
      registrationLifetimeDays: 365,
      wifi: null,
    })
  })

  it('takes a registration lifetime of 1 to 3650 days', async () => {
    expect(validateSiteProfile({ ...SAMPLE_SITE, registrationLifetimeDays: '30' })).toMatchObject({
      registrationLifetimeDays: 30,
    })
    for (const days of [0, 3651, '1.5', 'a year']) {
      expect(() => validateSiteProfile({ ...SAMPLE_SITE, registrationLifetimeDays: days })).toThrow(
        'registrationLifetimeDays: must be a whole number of days from 1 to 3650',
      )
    }
  })

  it('accepts IPv4, bracketed IPv6 and host:port for the API host', async () => {
    for (const apiHost of [
      '10.0.0.5',
      '[fd00::1]',
      '[fd00::1]:8443',
      'api.local:8080',
      'localhost',
    ]) {
      expect(validateSiteProfile({ ...SAMPLE_SITE, apiHost }).apiHost).toBe(apiHost)
    }
  })

  it.each([
    ['apiHost', 'https://api.example.com', /apiHost: must be a DNS name/],
    ['apiHost', 'api.example.com/v1', /apiHost: must be a DNS name/],
    ['apiHost', 'api example.com', /apiHost: must be a DNS name/],
    ['apiHost', 'fd00::1', /apiHost: must be a DNS name/],
    ['apiHost', '300.1.1.1', /apiHost: must be a DNS name/],
    ['mqttHost', '', /mqttHost: is required/],
    ['mqttHost', 'mqtt.example.com:1883', /mqttHost: must not carry a port/],
    ['mqttPort', 0, /mqttPort: must be a whole number from 1 to 65535/],
    ['mqttPort', 65536, /mqttPort: must be a whole number from 1 to 65535/],
    ['mqttPort', '18x3', /mqttPort: must be a whole number/],
    ['otaBaseUrl', 'ftp://ota.example.com/', /otaBaseUrl: must be an absolute http/],
    ['otaBaseUrl', 'https://ota.example.com/a b', /otaBaseUrl: must be an absolute http/],
    ['otaBaseUrl', 'https://user:pw@ota.example.com/', /otaBaseUrl: must not embed a user name/],
    ['otaBaseUrl', 'https:ota.example.com', /otaBaseUrl: must be an absolute http/],
    ['platformKey', 'has space', /platformKey: must be 1–128 printable ASCII/],
    ['platformKey', 'x'.repeat(129), /platformKey: must be 1–128 printable ASCII/],
    ['platformKey', 'ключ', /platformKey: must be 1–128 printable ASCII/],
    ['tokenLifetimeHours', 0, /tokenLifetimeHours: must be a whole number of hours/],
  ])('rejects %s = %j naming the field and the rule', (field, value, message) => {
    const error = failure({ [field]: value })
    expect(error.code).toBe('invalid_input')
    expect(error.field).toBe(field)
    expect(error.message).toMatch(message)
  })
})

describe('isValidHost', () => {
  it('rejects labels that start or end with a hyphen and names longer than 253 characters', async () => {
    expect(isValidHost('-bad.example.com')).toBe(false)
    expect(isValidHost('bad-.example.com')).toBe(false)
    expect(isValidHost(('a'.repeat(60) + '.').repeat(5) + 'com')).toBe(false)
    expect(isValidHost('good-host.example.com')).toBe(true)
  })
})

describe('saveSiteProfile', () => {
  it('keeps the previous profile when the new one is invalid', async () => {
    const { store } = await freshStore()
    await expect(saveSiteProfile(store, { ...SAMPLE_SITE, mqttPort: 99999 })).rejects.toThrow(
      /mqttPort/,
    )
    expect((await store.site())?.mqttPort).toBe(8883)
  })
})

describe('the site Wi-Fi', () => {
  it.each([
    [{ ssid: '', password: '' }, 'wifiSsid', /must be 1–32 bytes/],
    [{ ssid: 'x'.repeat(33), password: '' }, 'wifiSsid', /must be 1–32 bytes/],
    [{ ssid: 'ü'.repeat(17), password: '' }, 'wifiSsid', /must be 1–32 bytes \(UTF-8\)/],
    [{ ssid: 'a\0b', password: '' }, 'wifiSsid', /without NUL/],
    [{ ssid: 'Hall', password: 'short' }, 'wifiPassword', /must be 8–63 printable ASCII/],
    [{ ssid: 'Hall', password: 'x'.repeat(64) }, 'wifiPassword', /64 hex digits/],
    [{ ssid: 'Hall', password: 'pässwörter' }, 'wifiPassword', /printable ASCII/],
    [{ ssid: 'Hall' }, 'wifiPassword', /is required/],
  ])('refuses %j naming the field', (wifi, field, message) => {
    const error = failure({ wifi })
    expect(error.field).toBe(field)
    expect(error.message).toMatch(message)
  })

  it('accepts 32-byte SSIDs, WPA passphrases, 64-hex PSKs and open networks', async () => {
    for (const wifi of [
      { ssid: 'é'.repeat(16), password: '' },
      { ssid: 'Plant 3', password: '12345678' },
      { ssid: 'Plant 3', password: '~'.repeat(63) },
      { ssid: 'Plant 3', password: 'aB'.repeat(32) },
    ]) {
      expect(validateSiteProfile({ ...SAMPLE_SITE, wifi }).wifi).toEqual(wifi)
    }
  })

  it('reports every field of a draft at once, each with its own rule', async () => {
    expect(
      checkSiteDraft(
        {
          ...SAMPLE_SITE,
          mqttPort: '0',
          apiHost: 'https://x',
          wifiMode: 'password',
          wifiSsid: '',
          wifiPassword: '1234',
        },
        null,
      ),
    ).toEqual({
      apiHost: expect.stringMatching(/^must be a DNS name/),
      mqttPort: 'must be a whole number from 1 to 65535',
      wifiSsid: expect.stringMatching(/^must be 1–32 bytes/),
      wifiPassword: expect.stringMatching(/^must be 8–63 printable/),
    })
    expect(checkSiteProfile({ ...SAMPLE_SITE }).problems).toBeNull()
  })

  it('keeps the saved WPA password when the form leaves it empty, and never shows it', async () => {
    const { store } = await freshStore()
    await saveSiteDraft(store, {
      ...SAMPLE_SITE,
      wifiMode: 'password',
      wifiSsid: 'Hall',
      wifiPassword: 'correct horse',
    })
    // The form cannot know the password: it sends the SSID with an empty password.
    expect(
      checkSiteDraft({ wifiMode: 'password', wifiSsid: 'Hall 2' }, await store.site()),
    ).toEqual({})
    await saveSiteDraft(store, { wifiMode: 'password', wifiSsid: 'Hall 2', wifiPassword: '' })
    expect((await store.site())!.wifi).toEqual({ ssid: 'Hall 2', password: 'correct horse' })
    expect(viewSiteProfile((await store.site())!).wifi).toEqual({ ssid: 'Hall 2', open: false })
    expect(JSON.stringify(viewSiteProfile((await store.site())!))).not.toContain('correct horse')

    await saveSiteDraft(store, { wifiMode: 'open', wifiSsid: 'Guest' })
    expect((await store.site())!.wifi).toEqual({ ssid: 'Guest', password: '' })
    // From an open network to WPA, a password must be typed: there is none to keep.
    expect(checkSiteDraft({ wifiMode: 'password', wifiSsid: 'Guest' }, await store.site())).toEqual(
      {
        wifiPassword: 'is required',
      },
    )
    await saveSiteDraft(store, { wifiMode: 'none' })
    expect((await store.site())!.wifi).toBeNull()
  })
})
