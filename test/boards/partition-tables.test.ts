import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import JSZip from 'jszip'
import { describe, expect, it } from 'vitest'
import { addDevice } from '../../main/devices/devices'
import { downloadTemplate } from '../../main/template/download-template'
import { freshStore, loadCatalog, RESOURCES_DIR, tempDir } from '../helpers/fixtures'

interface Row {
  name: string
  type: string
  subtype: string
  offset: number
  size: number
}

function parseCsv(text: string): Row[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [name, type, subtype, offset, size] = line.split(',').map((c) => c.trim())
      return {
        name: name!,
        type: type!,
        subtype: subtype!,
        offset: Number(offset),
        size: Number(size),
      }
    })
}

const SIZES: Record<string, number> = { '4MB': 0x400000, '8MB': 0x800000, '16MB': 0x1000000 }

describe('the partition tables of the ESP32-family templates', async () => {
  const catalog = await loadCatalog()
  const boards = catalog.list().filter((b) => b.chipFamily !== 'ESP8266')

  it.each(boards.map((b) => b.id))(
    '%s: picks a table with ffcfg and the usual partitions, filling its flash, and a generic base-firmware environment',
    async (id) => {
      const board = catalog.get(id)
      const ini = await readFile(join(RESOURCES_DIR, 'boards', id, 'platformio.ini'), 'utf8')
      const table = /^board_build\.partitions\s*=\s*(\S+)/m.exec(ini)?.[1]
      expect(table, 'board_build.partitions').toBeDefined()
      const rows = parseCsv(await readFile(join(RESOURCES_DIR, 'firmware', table!), 'utf8'))
      const ffcfg = rows.find((r) => r.name === 'ffcfg')!
      expect(ffcfg).toMatchObject({ type: 'data', subtype: 'nvs' })
      expect(ffcfg.size).toBeGreaterThanOrEqual(0x3000)
      expect(ffcfg.offset % 0x1000).toBe(0)
      expect(ffcfg.size % 0x1000).toBe(0)
      for (const name of ['nvs', 'otadata', 'app0', 'coredump']) {
        expect(rows.map((r) => r.name)).toContain(name)
      }
      // Contiguous from 0x9000 to the end of the board's flash, nothing overlapping.
      let at = 0x9000
      for (const row of rows) {
        expect(row.offset, row.name).toBe(at)
        at = row.offset + row.size
      }
      expect(at).toBe(SIZES[board.flash.size])
      expect(ini).toMatch(/^\[env:generic\]$/m)
      expect(ini).toMatch(/^build_flags = .*-D FF_GENERIC_BUILD$/m)
    },
  )

  it('ship inside every template ZIP', async () => {
    const { store } = await freshStore()
    await addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-s3-devkitc-1-n8' })
    const zip = await downloadTemplate(store, catalog, {
      uid: 'pump-0001',
      outDir: await tempDir(),
    })
    const files = Object.keys((await JSZip.loadAsync(await readFile(zip.zipPath))).files)
    expect(files).toContain('pump-0001/partitions/fieldflash_8MB.csv')
    expect(files).toContain('pump-0001/lib/ff_bootstrap/ff_config.c')
  })
})

describe('BoardCatalog.isDocumentationUrl', () => {
  it("allows exactly the boards' documentation pages and nothing else", async () => {
    const catalog = await loadCatalog()
    const docs = catalog.get('esp32-devkitc').docsUrl!
    expect(catalog.isDocumentationUrl(docs)).toBe(true)
    for (const url of [
      'https://evil.example.com/',
      `${docs}?x=1`,
      docs.replace('https:', 'http:'),
      'file:///etc/passwd',
      'javascript:alert(1)',
    ]) {
      expect(catalog.isDocumentationUrl(url), url).toBe(false)
    }
  })
})
