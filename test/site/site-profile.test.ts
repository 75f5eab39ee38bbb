import { describe, expect, it } from 'vitest'
import { FieldFlashError } from '../../main/shared/errors'
import { isValidHost, saveSiteProfile, validateSiteProfile } from '../../main/site/site-profile'
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
  it('accepts a complete profile and defaults the token lifetime to a week', () => {
    expect(validateSiteProfile(SAMPLE_SITE)).toEqual({
      ...SAMPLE_SITE,
      tokenLifetimeHours: 168,
      wifi: null,
    })
  })

  it('accepts IPv4, bracketed IPv6 and host:port for the API host', () => {
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
  it('rejects labels that start or end with a hyphen and names longer than 253 characters', () => {
    expect(isValidHost('-bad.example.com')).toBe(false)
    expect(isValidHost('bad-.example.com')).toBe(false)
    expect(isValidHost(('a'.repeat(60) + '.').repeat(5) + 'com')).toBe(false)
    expect(isValidHost('good-host.example.com')).toBe(true)
  })
})

describe('saveSiteProfile', () => {
  it('keeps the previous profile when the new one is invalid', async () => {
    const { store } = await freshStore()
    expect(() => saveSiteProfile(store, { ...SAMPLE_SITE, mqttPort: 99999 })).toThrow(/mqttPort/)
    expect(store.site()?.mqttPort).toBe(8883)
  })
})
