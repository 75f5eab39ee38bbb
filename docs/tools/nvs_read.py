#!/usr/bin/env python3
"""An independent reader of ESP-IDF NVS partition images (page format version 2, no encryption).

Written from ESP-IDF's NVS documentation ("Non-Volatile Storage Library", section "Internals"),
not from FieldFlash's generator: the tests feed it FieldFlash's images and compare what it reads
with what was written. It checks every page header, entry and data CRC on its way and fails on the
first inconsistency.

Usage: nvs_read.py <image.bin>  ->  JSON on stdout:
  {"pages": [{"state": "active"|"full"|"empty", "seq": n}...],
   "entries": [{"namespace": ns, "key": k, "type": t, "value": v}...]}
Strings are UTF-8 text, integers numbers, blobs hex.
"""
import json
import struct
import sys
import zlib

PAGE = 4096
ENTRIES = 126
STATES = {0xFFFFFFFF: 'empty', 0xFFFFFFFE: 'active', 0xFFFFFFFC: 'full', 0xFFFFFFF8: 'freeing'}
INTS = {0x01: ('u8', '<B'), 0x11: ('i8', '<b'), 0x02: ('u16', '<H'), 0x12: ('i16', '<h'),
        0x04: ('u32', '<I'), 0x14: ('i32', '<i'), 0x08: ('u64', '<Q'), 0x18: ('i64', '<q')}
SZ, BLOB_DATA, BLOB_IDX = 0x21, 0x42, 0x48


def crc(data):
    # NVS computes zlib's CRC-32 with 0xFFFFFFFF as the initial value.
    return zlib.crc32(data, 0xFFFFFFFF) & 0xFFFFFFFF


def fail(message):
    sys.stderr.write('nvs_read: ' + message + '\n')
    sys.exit(1)


def main(path):
    image = open(path, 'rb').read()
    if len(image) % PAGE:
        fail('size is not a multiple of 4096')
    pages, namespaces, items, chunks, indexes = [], {}, [], {}, []
    for p in range(len(image) // PAGE):
        page = image[p * PAGE:(p + 1) * PAGE]
        state, seq, version = struct.unpack_from('<IIB', page, 0)
        if state not in STATES:
            fail('page %d: unknown state %#x' % (p, state))
        if STATES[state] == 'empty':
            if page != b'\xff' * PAGE:
                fail('page %d: marked empty but not erased' % p)
            pages.append({'state': 'empty'})
            continue
        if version != 0xFE:
            fail('page %d: version byte %#x is not version 2' % (p, version))
        if struct.unpack_from('<I', page, 28)[0] != crc(page[4:28]):
            fail('page %d: header CRC mismatch' % p)
        pages.append({'state': STATES[state], 'seq': seq})
        bitmap = page[32:64]
        i = 0
        while i < ENTRIES:
            bits = (bitmap[i // 4] >> ((i % 4) * 2)) & 3
            if bits == 3:  # empty: nothing written after it on this page
                i += 1
                continue
            if bits != 2:
                fail('page %d entry %d: erased entries are not expected in a fresh image' % (p, i))
            e = page[64 + i * 32:64 + (i + 1) * 32]
            ns, typ, span, chunk = e[0], e[1], e[2], e[3]
            if struct.unpack_from('<I', e, 4)[0] != crc(e[0:4] + e[8:32]):
                fail('page %d entry %d: entry CRC mismatch' % (p, i))
            key = e[8:24].split(b'\0', 1)[0].decode('utf-8')
            if span < 1 or i + span > ENTRIES:
                fail('page %d entry %d: span %d leaves the page' % (p, i, span))
            for j in range(i + 1, i + span):
                if (bitmap[j // 4] >> ((j % 4) * 2)) & 3 != 2:
                    fail('page %d entry %d: data entry %d not marked written' % (p, i, j))
            payload = page[64 + (i + 1) * 32:64 + (i + span) * 32]
            if ns == 0:
                if typ != 0x01:
                    fail('page %d entry %d: namespace entry of type %#x' % (p, i, typ))
                namespaces[e[24]] = key
            elif typ in INTS:
                name, fmt = INTS[typ]
                items.append({'ns': ns, 'key': key, 'type': name,
                              'value': struct.unpack_from(fmt, e, 24)[0]})
            elif typ in (SZ, BLOB_DATA):
                size, data_crc = struct.unpack_from('<H', e, 24)[0], struct.unpack_from('<I', e, 28)[0]
                if size > len(payload):
                    fail('page %d entry %d: size %d exceeds the span' % (p, i, size))
                data = payload[:size]
                if crc(data) != data_crc:
                    fail('page %d entry %d: data CRC mismatch' % (p, i))
                if typ == SZ:
                    if size == 0 or data[-1] != 0:
                        fail('page %d entry %d: string without its NUL' % (p, i))
                    items.append({'ns': ns, 'key': key, 'type': 'string',
                                  'value': data[:-1].decode('utf-8')})
                else:
                    chunks[(ns, key, chunk)] = data
            elif typ == BLOB_IDX:
                size, count, start = struct.unpack_from('<IBB', e, 24)
                indexes.append((ns, key, size, count, start))
                items.append({'ns': ns, 'key': key, 'type': 'blob', 'index': len(indexes) - 1})
            else:
                fail('page %d entry %d: unknown type %#x' % (p, i, typ))
            i += span
    entries = []
    for item in items:
        if item['type'] == 'blob':
            ns, key, size, count, start = indexes[item['index']]
            parts = []
            for c in range(start, start + count):
                if (ns, key, c) not in chunks:
                    fail('blob %s: chunk %d missing' % (key, c))
                parts.append(chunks[(ns, key, c)])
            data = b''.join(parts)
            if len(data) != size:
                fail('blob %s: %d bytes in chunks, index says %d' % (key, len(data), size))
            value = data.hex()
        else:
            value = item['value']
        if item['ns'] not in namespaces:
            fail('%s: unknown namespace index %d' % (item['key'], item['ns']))
        entries.append({'namespace': namespaces[item['ns']], 'key': item['key'],
                        'type': item['type'], 'value': value})
    json.dump({'pages': pages, 'entries': entries}, sys.stdout)


if __name__ == '__main__':
    if len(sys.argv) != 2:
        fail('usage: nvs_read.py <image.bin>')
    main(sys.argv[1])
