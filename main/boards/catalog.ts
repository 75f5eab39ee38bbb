import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FieldFlashError } from '../shared/errors'
import { boardSchema, type Board } from './board-schema'

export type { Board }

/** Where the shipped data lives: `boards/<id>/` and the shared `firmware/` project. */
export interface ResourcePaths {
  boardsDir: string
  firmwareDir: string
}

/** Resource paths under a `resources/` folder. */
export function resourcePaths(resourcesDir: string): ResourcePaths {
  return { boardsDir: join(resourcesDir, 'boards'), firmwareDir: join(resourcesDir, 'firmware') }
}

/** The catalog of boards the app can prepare, read from `resources/boards`. */
export class BoardCatalog {
  private constructor(
    readonly paths: ResourcePaths,
    private readonly boards: Map<string, Board>,
  ) {}

  /** Loads and validates every board folder; a broken entry is an error naming its file. */
  static async load(paths: ResourcePaths): Promise<BoardCatalog> {
    const entries = await readdir(paths.boardsDir, { withFileTypes: true })
    const boards = new Map<string, Board>()
    for (const entry of entries
      .filter((e) => e.isDirectory())
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const file = join(paths.boardsDir, entry.name, 'board.json')
      let parsed
      try {
        parsed = boardSchema.safeParse(JSON.parse(await readFile(file, 'utf8')))
      } catch (error) {
        throw new FieldFlashError(
          'io_error',
          `Board file ${file} is unreadable: ${(error as Error).message}`,
        )
      }
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!
        throw new FieldFlashError(
          'io_error',
          `Board file ${file}: ${issue.path.join('.')} ${issue.message}`,
        )
      }
      if (parsed.data.id !== entry.name) {
        throw new FieldFlashError('io_error', `Board file ${file}: id must equal its folder name`)
      }
      boards.set(parsed.data.id, parsed.data)
    }
    for (const board of boards.values()) {
      if (board.variantOf !== null && !boards.has(board.variantOf)) {
        throw new FieldFlashError(
          'io_error',
          `Board ${board.id}: variantOf names unknown board ${board.variantOf}`,
        )
      }
    }
    return new BoardCatalog(paths, boards)
  }

  /** Every board, in a stable order (by id). */
  list(): Board[] {
    return [...this.boards.values()]
  }

  /**
   * True when `url` is exactly one of the boards' documentation pages: the only addresses the app
   * opens in the system browser (anything else the renderer asks for is refused).
   */
  isDocumentationUrl(url: string): boolean {
    return this.list().some((board) => board.docsUrl === url)
  }

  /** True when the catalog has a board `id`. */
  has(id: string): boolean {
    return this.boards.has(id)
  }

  /** The board with `id`, or an `invalid_input` error listing what exists. */
  get(id: string, field = 'board'): Board {
    const board = this.boards.get(id)
    if (!board) {
      throw new FieldFlashError(
        'invalid_input',
        `${field}: must be one of the catalog's boards (${[...this.boards.keys()].join(', ')})`,
        field,
      )
    }
    return board
  }

  /** The folder holding a board's platformio.ini. */
  boardDir(id: string): string {
    return join(this.paths.boardsDir, this.get(id).id)
  }

  /** Boards that ship with the USB bridge `vid:pid` (lowercase hex). */
  matchUsb(vid: string, pid: string): Board[] {
    return this.list().filter((b) => b.usb.some((u) => u.vid === vid && u.pid === pid))
  }
}
